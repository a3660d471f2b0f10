/*
 * lib/list.h - intrusive circular doubly linked lists.
 *
 * A struct list is both a list head and a node.  An empty head points to
 * itself.  Pure C, no kernel dependencies (host unit tests include it).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct list {
    struct list *next;
    struct list *prev;
};

#define LIST_INIT(name) { &(name), &(name) }
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list *head)
{
    head->next = head;
    head->prev = head;
}

static inline bool list_empty(const struct list *head)
{
    return head->next == head;
}

/* Insert node right after head (at the front). */
static inline void list_push_front(struct list *head, struct list *node)
{
    node->next = head->next;
    node->prev = head;
    head->next->prev = node;
    head->next = node;
}

/* Insert node right before head (at the back). */
static inline void list_push_back(struct list *head, struct list *node)
{
    list_push_front(head->prev, node);
}

/* Unlink node; it is left pointing at itself, so a second remove is harmless. */
static inline void list_remove(struct list *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    list_init(node);
}

/* Remove and return the first node, or NULL when the list is empty. */
static inline struct list *list_pop_front(struct list *head)
{
    if (list_empty(head))
        return NULL;
    struct list *node = head->next;
    list_remove(node);
    return node;
}

#define list_for_each(pos, head) \
    for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
