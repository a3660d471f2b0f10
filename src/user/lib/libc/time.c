/*
 * libc/time.c - clock helpers: the time since boot and relative sleeps.
 */
#include <viper/sys.h>
#include <viper/time.h>

uint64_t viper_now_ns(void)
{
    uint64_t now = 0;

    viper_clock_get(&now);
    return now;
}

void viper_sleep_ns(uint64_t ns)
{
    uint64_t now = viper_now_ns();
    uint64_t deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;

    viper_sleep_until(deadline);
}
