/*
 * proto/console.h - the console protocol (consoled, registered as "CON:").
 *
 * A client writes bytes with CON_WRITE, fire-and-forget: no reply, so output
 * costs one send; the channel's bounded queue throttles a fast writer.
 * CON_READ asks for input and gets a reply carrying 1..len bytes as soon as
 * any are typed (keys from the serial line and from inputd arrive in one
 * stream, unprocessed: the reader edits lines itself).  When several clients
 * are reading, the newest request gets the input (the shell waits on its
 * foreground program, which is then the newest reader).  CON_INPUT is how
 * inputd feeds key presses in, as the bytes a terminal would send (arrows as
 * ESC [ A...).  CON_INFO replies with the screen's size in characters.
 */
#pragma once
#include <stdint.h>

#define CON_NAME "CON:"

enum con_op {
    CON_WRITE = 1,   /* data[0..len): bytes to show; no reply */
    CON_READ  = 2,   /* len: most bytes wanted; reply data[0..len) */
    CON_INPUT = 3,   /* data[0..len): typed bytes (from inputd); no reply */
    CON_INFO  = 4,   /* reply: cols, rows */
};

#define CON_DATA_MAX 248u

struct con_request {
    uint32_t op;
    uint32_t len;
    uint8_t data[CON_DATA_MAX];
};

struct con_reply {
    int32_t status;             /* VIPER_OK, or a VIPER_ERR_* */
    uint32_t len;
    union {
        uint8_t data[CON_DATA_MAX];
        struct {
            uint32_t cols, rows;
        } info;
    };
};
