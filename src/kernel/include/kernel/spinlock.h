/*
 * kernel/spinlock.h - a test-and-set spinlock that also masks IRQs on the
 * local CPU while held, so an interrupt handler never spins on a lock its
 * own CPU holds.  Lock order: see docs/locking.md.
 */
#pragma once
#include <stdint.h>
#include "arch/cpu.h"

struct spinlock {
    uint32_t locked;
};

#define SPINLOCK_INIT { 0 }

/* Take the lock; for code that already runs with IRQs masked (IRQ handlers). */
static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Take the lock with IRQs masked; returns the IRQ state for spin_unlock_irqrestore. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = arch_irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock(l);
    arch_irq_restore(flags);
}
