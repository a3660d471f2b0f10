# mk/crash.mk - the crash-consistency tests at length (docs/crash.md).
#
#   make test-crash                        grade/tests_crash.py's `crash` with 50 kills
#                                          (VIPER_CRASH_ITERS), `crash_powercut` with 10 runs
#                                          of 8 power cuts (VIPER_POWERCUT_RUNS), `crash_orphan`, `crash_ordered`,
#                                          and grade/tests_fs.py's `fs_crash` with 50 rounds
#                                          (VIPER_CRASH_ROUNDS)
#   make test-crash VIPER_CRASH_SEED=SEED  replay the kills of an earlier run (its seed is
#                                          in its output)
#
# `make test` runs them all, shorter (3 kills, 1 power-cut run, 3 rounds), through the grader
# like every QEMU test.

.PHONY: test-crash
test-crash: kernel $(INITRD) tools
	VIPER_CRASH_ITERS=$${VIPER_CRASH_ITERS:-50} VIPER_CRASH_ROUNDS=$${VIPER_CRASH_ROUNDS:-50} \
	  VIPER_POWERCUT_RUNS=$${VIPER_POWERCUT_RUNS:-10} \
	  $(if $(VIPER_CRASH_SEED),VIPER_CRASH_SEED=$(VIPER_CRASH_SEED)) \
	  $(PYTHON) grade/grade.py -j 1 \
	  --only crash,crash_powercut,crash_orphan,crash_ordered,fs_crash --log-dir $(BUILD)/grade \
	  --image $(IMAGE) --elf $(KELF) --initrd $(INITRD)
