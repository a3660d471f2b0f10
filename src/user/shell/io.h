/*
 * shell/io.h - the shell's console: bytes out and keys in over CON:.
 *
 * Output is buffered and goes out as CON_WRITE messages (or through the
 * kernel's debug_write while there is no console server); input comes from
 * CON_READ.  When consoled dies the next call reconnects to CON: (it is
 * restarted by vinit), so the shell outlives its console server.
 */
#pragma once
#include <stddef.h>
#include <viper/types.h>

/* Start with the console channel con (or none) and the registry to reconnect through. */
void io_init(viper_handle_t con, viper_handle_t registry);

void io_write(const char *s, size_t n);
void io_puts(const char *s);
int io_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void io_flush(void);

/* Block until at least one byte is typed; returns how many (1..max) are in buf. */
size_t io_read(char *buf, size_t max);

/* A new connection to the console for a child (VIPER_HANDLE_INVALID if there is
 * none), after everything the shell wrote is shown; *watch is a second end of it. */
viper_handle_t io_console_for_child(viper_handle_t *watch);

/* After a foreground child has exited: wait until consoled has shown all it wrote
 * (through watch, io_console_for_child's second end), then close watch. */
void io_console_done(viper_handle_t watch);
