/*
 * inputd.c - the virtio-input driver (virtio spec v1.2 §5.8): key presses
 * from a virtio keyboard become the bytes a terminal sends, fed to
 * consoled as CON_INPUT (docs/console.md).
 *
 * The event queue holds EVENT_BUFS device-writable 8-byte buffers
 * {type, code, value}; each completed one is decoded and handed straight
 * back.  Only EV_KEY presses and repeats of keys in the US keymap produce
 * bytes; releases update the modifiers (Shift, Ctrl; Caps Lock toggles on
 * its press), and everything else (EV_SYN, a mouse's EV_REL/EV_ABS and its
 * buttons) is consumed and dropped.  One batch of events is one message.
 * If consoled goes away inputd reconnects to CON: (a restarted consoled).
 *
 * Startup handles: 0 registry (TRAVERSE), 1 none, 2 the virtio-input
 * device, 3 a device root narrowed to DMA_ACCESS.
 */
#include <proto/console.h>
#include <stdio.h>
#include <string.h>
#include <viper/handles.h>
#include <viper/sys.h>
#include <viper/time.h>
#include <virtio/virtio.h>

#define EVENT_BUFS      64u
#define CFG_SELECT      0u     /* virtio_input_config: select, subsel, size, reserved[5], u */
#define CFG_SUBSEL      1u
#define CFG_SIZE        2u
#define CFG_DATA        8u
#define CFG_ID_NAME     0x01u
#define CFG_EV_BITS     0x11u

#define EV_KEY          1u
#define KEY_A           30u
#define KEY_LEFTCTRL    29u
#define KEY_LEFTSHIFT   42u
#define KEY_RIGHTSHIFT  54u
#define KEY_CAPSLOCK    58u
#define KEY_RIGHTCTRL   97u
#define KEYMAP_SIZE     59u
#define CONNECT_TRIES   1000   /* 10 ms apart */

struct input_event {
    uint16_t type, code;
    uint32_t value;            /* 0 release, 1 press, 2 auto-repeat */
};

/* Evdev codes 0-58 on a US keyboard, without and with Shift. */
static const char keymap[2][KEYMAP_SIZE] = {
    { 0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7f, '\t',
      'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0,
      'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\',
      'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ', 0 },
    { 0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7f, '\t',
      'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0,
      'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|',
      'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ', 0 },
};

/* Keys outside the map that send escape sequences (or one byte). */
static const struct {
    uint16_t code;
    const char *bytes;
} special_keys[] = {
    { 103, "\x1b[A" }, { 108, "\x1b[B" }, { 106, "\x1b[C" }, { 105, "\x1b[D" },   /* arrows */
    { 102, "\x1b[H" }, { 107, "\x1b[F" },                                        /* Home End */
    { 110, "\x1b[2~" }, { 111, "\x1b[3~" }, { 104, "\x1b[5~" }, { 109, "\x1b[6~" },
    { 96, "\r" }, { 98, "/" },                                                 /* keypad */
};

static struct virtio_dev vd;
static struct virtq evq;
static struct virtio_dma events;
static uint16_t slot_of[VIRTQ_MAX_SIZE];   /* head id -> event buffer */
static bool shift[2], ctrl[2], caps;
static uint64_t reg, con;

static void log_line(const char *fmt, const char *s)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, fmt, s);
    viper_debug_write(buf, n < (int)sizeof buf ? (uint64_t)n : sizeof buf - 1);
}

/* Append the bytes for one key press to out (room for 8 more); returns the new length. */
static size_t key_bytes(uint16_t code, uint8_t *out, size_t n)
{
    if (code == KEY_CAPSLOCK) {
        caps = !caps;
        return n;
    }
    for (size_t i = 0; i < sizeof special_keys / sizeof special_keys[0]; i++)
        if (special_keys[i].code == code) {
            for (const char *p = special_keys[i].bytes; *p; p++)
                out[n++] = (uint8_t)*p;
            return n;
        }
    if (code >= KEYMAP_SIZE || !keymap[0][code])
        return n;   /* a key we have no byte for (F1, a mouse button, ...) */
    bool shifted = shift[0] || shift[1];
    char c = keymap[0][code];
    if (c >= 'a' && c <= 'z')
        shifted ^= caps;
    c = keymap[shifted][code];
    if ((ctrl[0] || ctrl[1]) && ((c >= 'a' && c <= 'z') || (c >= '@' && c <= '_')))
        c &= 0x1f;   /* Ctrl-A is 1, Ctrl-[ is ESC */
    out[n++] = (uint8_t)c;
    return n;
}

static size_t handle_event(const struct input_event *e, uint8_t *out, size_t n)
{
    if (e->type != EV_KEY)
        return n;   /* EV_SYN, EV_REL, EV_ABS, EV_MSC: nothing to type */
    bool down = e->value != 0;
    switch (e->code) {
    case KEY_LEFTSHIFT: shift[0] = down; return n;
    case KEY_RIGHTSHIFT: shift[1] = down; return n;
    case KEY_LEFTCTRL: ctrl[0] = down; return n;
    case KEY_RIGHTCTRL: ctrl[1] = down; return n;
    default: return down ? key_bytes(e->code, out, n) : n;
    }
}

/* Give event buffer i to the device. */
static int64_t post(uint16_t i)
{
    struct virtq_buf b = { events.phys + i * sizeof(struct input_event),
                           sizeof(struct input_event), true };
    int64_t head = virtq_add(&evq, &b, 1);
    if (head >= 0)
        slot_of[head] = i;
    return head;
}

static bool connect_console(void)
{
    for (int i = 0; i < CONNECT_TRIES; i++) {
        if (viper_registry_open(reg, CON_NAME, &con) == VIPER_OK)
            return true;
        viper_sleep_ns(10000000);
    }
    return false;
}

static void send_input(const uint8_t *p, size_t n)
{
    struct con_request q = { .op = CON_INPUT, .len = (uint32_t)n };
    memcpy(q.data, p, n);
    struct viper_msg m = { (uint64_t)(uintptr_t)&q, 8 + q.len, 0, 0 };
    if (viper_chan_send(con, &m, 0) == VIPER_ERR_PEER_CLOSED) {   /* consoled restarted */
        viper_handle_close(con);
        if (connect_console())
            viper_chan_send(con, &m, 0);
    }
}

/* The device's name from its configuration space, and whether it has letter keys. */
static bool identify(char *name, size_t cap)
{
    virtio_config_write8(&vd, CFG_SELECT, CFG_ID_NAME);
    virtio_config_write8(&vd, CFG_SUBSEL, 0);
    size_t len = virtio_config_read8(&vd, CFG_SIZE);
    len = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < len; i++)
        name[i] = (char)virtio_config_read8(&vd, CFG_DATA + (uint32_t)i);
    name[len] = '\0';
    virtio_config_write8(&vd, CFG_SELECT, CFG_EV_BITS);
    virtio_config_write8(&vd, CFG_SUBSEL, EV_KEY);
    if (virtio_config_read8(&vd, CFG_SIZE) <= KEY_A / 8)
        return false;
    return virtio_config_read8(&vd, CFG_DATA + KEY_A / 8) & (1u << (KEY_A % 8));
}

static int64_t setup(uint64_t dev, uint64_t dma)
{
    int64_t rc = virtio_open(dev, &vd);
    if (rc == VIPER_OK && vd.device_id != VIRTIO_ID_INPUT)
        rc = VIPER_ERR_NOT_SUPPORTED;
    if (rc == VIPER_OK)
        rc = virtio_negotiate(&vd, 0);
    if (rc == VIPER_OK)
        rc = virtq_setup(&evq, &vd, 0, EVENT_BUFS, dma);
    if (rc == VIPER_OK)
        rc = virtio_dma_alloc(dma, EVENT_BUFS * sizeof(struct input_event), &events);
    if (rc != VIPER_OK)
        return rc;
    virtio_driver_ok(&vd);
    for (uint16_t i = 0; i < evq.size && rc >= 0; i++)
        rc = post(i);
    virtq_notify(&evq);
    return rc < 0 ? rc : VIPER_OK;
}

int main(void)
{
    reg = viper_startup_handle(0);
    char name[64], msg[32];
    int64_t rc = setup(viper_startup_handle(2), viper_startup_handle(3));
    if (rc != VIPER_OK) {
        snprintf(msg, sizeof msg, "%lld", (long long)rc);
        log_line("inputd: no virtio-input device (error %s)\n", msg);
        return 1;
    }
    bool keyboard = identify(name, sizeof name);
    if (!connect_console()) {
        log_line("inputd: %s not found\n", CON_NAME);
        return 1;
    }
    log_line(keyboard ? "inputd: keyboard '%s' ready\n" : "inputd: '%s' ready (no keys)\n", name);
    for (;;) {
        rc = virtio_wait_irq(&vd, VIPER_DEADLINE_INFINITE, NULL);
        if (rc != VIPER_OK)
            continue;
        uint8_t out[CON_DATA_MAX];
        size_t n = 0;
        int64_t head;
        uint32_t len;
        while ((head = virtq_get(&evq, &len)) >= 0) {
            uint16_t i = slot_of[head];
            struct input_event e;
            memcpy(&e, events.va + i * sizeof e, sizeof e);
            if (len == sizeof e)
                n = handle_event(&e, out, n);
            post(i);
            if (n + 8 > sizeof out) {
                send_input(out, n);
                n = 0;
            }
        }
        virtq_notify(&evq);
        if (head == VIPER_ERR_IO) {
            log_line("inputd: %s: the device broke its event queue; exiting\n", name);
            return 1;
        }
        if (n)
            send_input(out, n);
    }
}
