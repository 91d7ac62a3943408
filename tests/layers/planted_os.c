/*
 * planted_os.c - an object that calls mmap(2) itself instead of through base/os.c's kmb_mmap():
 * layers_planted_os hands its archive to check.sh as the slab layer's, and the os check must
 * fail, naming it.  Built, never linked into anything.
 */
#include <stddef.h>
#include <sys/mman.h>

void *kmb_planted_os_call(size_t len);

void *kmb_planted_os_call(size_t len)
{
	return mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
