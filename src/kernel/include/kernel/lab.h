/*
 * kernel/lab.h - what a lab's stub calls.
 *
 * The reference system in src/ marks each lab region in place:
 *
 *   / * LAB <lab> BEGIN <region>: <what to implement> * /
 *   ...the reference code...
 *   / * LAB <lab> STUB
 *   ...the code a student starts from (calls LAB_NOT_IMPLEMENTED)...
 *   LAB <lab> END * /
 *
 * tools/mklab turns every region of a lab into its stub to make labs/<lab>.
 * A stub says once, loudly, that it runs unimplemented, and then fails the
 * way the interface allows (an error code, NULL, nothing to run), so the
 * grader reports "not implemented" instead of a crash or a hang.
 */
#pragma once
#include <stdbool.h>
#include "kernel/log.h"

#define LAB_NOT_IMPLEMENTED(lab, fn)                                              \
    do {                                                                          \
        static bool lab_warned_;                                                  \
        if (!lab_warned_) {                                                       \
            lab_warned_ = true;                                                   \
            kprintf("LAB " lab ": " fn " not implemented\n");                     \
        }                                                                         \
    } while (0)
