# mk/crash.mk - the crash-consistency tests at length (docs/crash.md).
#
#   make test-crash                        grade/tests_crash.py's `crash` with 50 kills
#                                          (VIPER_CRASH_ITERS) and grade/tests_fs.py's
#                                          `fs_crash` with 50 rounds (VIPER_CRASH_ROUNDS)
#   make test-crash VIPER_CRASH_SEED=SEED  replay the kills of an earlier run (its seed is
#                                          in its output)
#
# `make test` runs both with 3 kills each, through the grader like every QEMU test.

.PHONY: test-crash
test-crash: kernel $(INITRD) tools
	VIPER_CRASH_ITERS=$${VIPER_CRASH_ITERS:-50} VIPER_CRASH_ROUNDS=$${VIPER_CRASH_ROUNDS:-50} \
	  $(if $(VIPER_CRASH_SEED),VIPER_CRASH_SEED=$(VIPER_CRASH_SEED)) \
	  $(PYTHON) grade/grade.py -j 1 --only crash,fs_crash --log-dir $(BUILD)/grade \
	  --image $(IMAGE) --elf $(KELF) --initrd $(INITRD)
