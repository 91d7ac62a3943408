/*
 * rss.h - the process's resident set, read from /proc/self/statm (its second field, in pages)
 * without allocating: the profile pass's timeline (profile.c) and mix's measurement
 * (workloads/mix.c) read it the same way.
 */
#ifndef KMB_HARNESS_RSS_H
#define KMB_HARNESS_RSS_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* kmb_rss_bytes - resident bytes of this process; -1 when statm cannot be read. */
static inline long long kmb_rss_bytes(void)
{
	char buf[128];
	long long size, resident;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld", &size, &resident) != 2)
		return -1;
	return resident * sysconf(_SC_PAGESIZE);
}

#endif
