#include <sys/epoll.h>
#include <sys/eventfd.h>

struct sockaddr;
/// accept4 is declared only under _GNU_SOURCE, which would make this module's system
/// types differ from those of Swift's Glibc module; its prototype is stable, so declare it.
extern int accept4(int descriptor, struct sockaddr *address, unsigned int *length, int flags);
