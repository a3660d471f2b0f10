/*
 * viper/errors.h - status codes shared by the kernel and user space.
 *
 * Every kernel call returns a status: VIPER_OK (0) on success or one of the
 * negative codes below.  Results travel through out-pointers (or x1-x3 for
 * system calls), never through the status.  Numbers are part of the ABI:
 * append new codes, never renumber.
 */
#pragma once

#define VIPER_OK                  0   /* success */
#define VIPER_ERR_INVALID        -1   /* an argument is out of its domain */
#define VIPER_ERR_NO_MEMORY      -2   /* an allocation failed or a limit on memory was hit */
#define VIPER_ERR_NOT_FOUND      -3   /* no such object, node, name or file */
#define VIPER_ERR_BAD_HANDLE     -4   /* the handle is stale, forged or of the wrong type */
#define VIPER_ERR_ACCESS_DENIED  -5   /* the handle lacks a right the call needs */
#define VIPER_ERR_FAULT          -6   /* a user pointer is unmapped or not accessible */
#define VIPER_ERR_WOULD_BLOCK    -7   /* a non-blocking call could not complete now */
#define VIPER_ERR_TIMED_OUT      -8   /* the deadline passed */
#define VIPER_ERR_PEER_CLOSED    -9   /* the other end of a channel is gone */
#define VIPER_ERR_LIMIT         -10   /* a per-process or per-object limit was reached */
#define VIPER_ERR_BAD_FORMAT    -11   /* malformed input: an ELF file, a DTB, a disk image */
#define VIPER_ERR_NOT_SUPPORTED -12   /* the operation does not apply to this object */
#define VIPER_ERR_BUSY          -13   /* the resource is in use */
#define VIPER_ERR_IO            -14   /* a device reported an error */
#define VIPER_ERR_OUT_OF_RANGE  -15   /* an offset or index lies outside the object */
#define VIPER_ERR_INTERRUPTED   -16   /* a wait ended early: news on another channel (chan_notify) */

#define VIPER_ERR_COUNT          17   /* number of codes, VIPER_OK included */
