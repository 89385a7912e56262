#include <sys/epoll.h>
#include <sys/eventfd.h>

struct sockaddr;
/// accept4 is declared only under _GNU_SOURCE, which would make this module's system
/// types differ from those of Swift's Glibc module; its prototype is stable, so declare it.
extern int accept4(int descriptor, struct sockaddr *address, unsigned int *length, int flags);
/// malloc_trim lives in <malloc.h>, which Swift's Glibc module leaves out: freed heap of
/// large answers is handed back to the system with it.
extern int malloc_trim(unsigned long pad);
/// gettid likewise: a thread's own scheduling priority is set by its id.
extern int gettid(void);
/// syncfs likewise (a dataset's run records are made durable by one call).
extern int syncfs(int descriptor);

/// struct epoll_event is packed on x86_64, a layout Swift cannot import faithfully, so
/// events cross into Swift as plain arrays.
static inline int csystem_epoll_wait(int queue, int *descriptors, unsigned int *events, int capacity, int timeout) {
    struct epoll_event buffer[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(queue, buffer, capacity, timeout);
    for (int index = 0; index < count; index++) {
        descriptors[index] = buffer[index].data.fd;
        events[index] = buffer[index].events;
    }
    return count;
}

/// See csystem_epoll_wait.
static inline int csystem_epoll_ctl(int queue, int operation, int descriptor, unsigned int events) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = 0;
    event.data.fd = descriptor;
    return epoll_ctl(queue, operation, descriptor, &event);
}
