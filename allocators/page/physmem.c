/*
 * physmem.c - the model of physical memory: what setup_arch() and free_area_init() do at boot.
 *
 * Physical address space: node 0's frames first, then node 1's, ...; each node is one memfd of
 * cfg.node_mem bytes, bound to the machine's node of the same number with mbind() when the
 * machine has it.  Three virtual windows are reserved once:
 *
 *   linear   __va(0) .. __va(max_low_pfn << PAGE_SHIFT): low memory, every node's memfd mapped
 *            at its physical offset (MAP_SHARED | MAP_FIXED).  HIGHMEM frames are left out of
 *            it (PROT_NONE), as a 32-bit kernel leaves them out of its direct map.
 *   vmemmap  struct page of every frame, max_pfn * 64 bytes.  Each node's slice is memory that
 *            memblock took from low memory, mapped here a second time from its memfd: the
 *            kernel's SPARSEMEM_VMEMMAP, so pfn_to_page() is one addition.
 *
 * Zone layout: ZONE_DMA is the first dma_size bytes of node 0; ZONE_HIGHMEM every frame at or
 * above lowmem_limit; ZONE_NORMAL the rest.  Every boundary is a multiple of 4 MiB (the largest
 * buddy block), so no buddy pair ever straddles two zones or two nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kmbench/percpu.h"
#include "page_alloc.h"
#include "placement.h"
#include "tools.h"

struct kmb_memmap kmb_memmap;
void *(*page_address_hook)(const struct page *page);

/* kmbench/mm.h: the kmap address of a HIGHMEM frame, from the mapping layer while it has kmap
 * slots (mm/highmem.c page_address() on a kernel without page->virtual). */
void *kmb_highmem_page_address(const struct page *page)
{
	void *(*fn)(const struct page *page) = page_address_hook;

	return fn ? fn(page) : NULL;
}

#define SZ_4M	KMB_MM_GRAIN

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

static void fill_distances(struct kmb_mm_config *c)
{
	bool given = false;
	int machine = kmb_numa_max_node();

	for (int a = 0; a < c->nr_nodes; a++)
		for (int b = 0; b < c->nr_nodes; b++)
			given |= c->distance[a][b] != 0;
	if (given)
		return;
	for (int a = 0; a < c->nr_nodes; a++)
		for (int b = 0; b < c->nr_nodes; b++) {
			int d = a <= machine && b <= machine ? kmb_numa_distance(a, b) : 0;

			c->distance[a][b] = d > 0 ? d : a == b ? 10 : 20;
		}
}

/* Defaults, then the checks; one line in why for the first bad field. */
static int config_fill(struct kmb_mm_config *c, char *why, size_t whylen)
{
	size_t total;

	if (!c->nr_nodes)
		c->nr_nodes = kmb_numa_max_node() + 1;
	if (c->nr_nodes < 1 || c->nr_nodes > KMB_MAX_NUMNODES)
		return fail(why, whylen, -EINVAL, "mm: %d nodes: valid are 1 to %d", c->nr_nodes,
			    KMB_MAX_NUMNODES);
	if (!c->node_mem)
		c->node_mem = KMB_MM_DEFAULT_NODE_MEM;
	if (c->node_mem % SZ_4M || c->node_mem > KMB_MM_MAX_NODE_MEM)
		return fail(why, whylen, -EINVAL, "mm: node memory %zu bytes: must be a multiple "
			    "of 4 MiB (the largest buddy block), at most 64 GiB", c->node_mem);
	if (!c->dma_size)
		c->dma_size = KMB_MM_DEFAULT_DMA;
	if (c->dma_size == SIZE_MAX)
		c->dma_size = 0;
	if (c->dma_size % SZ_4M || c->dma_size >= c->node_mem)
		return fail(why, whylen, -EINVAL, "mm: DMA zone of %zu bytes: must be a multiple of "
			    "4 MiB and smaller than node 0 (%zu bytes)", c->dma_size, c->node_mem);
	total = c->node_mem * (size_t)c->nr_nodes;
	if (c->lowmem_limit >= total)
		c->lowmem_limit = 0;
	if (c->lowmem_limit && (c->lowmem_limit % SZ_4M ||
				c->lowmem_limit < c->dma_size + SZ_4M))
		return fail(why, whylen, -EINVAL, "mm: low-memory limit %llu: must be a multiple "
			    "of 4 MiB, above the DMA zone, with room for the memory map",
			    (unsigned long long)c->lowmem_limit);
	if (!c->reclaim_wait_ms)
		c->reclaim_wait_ms = 10;
	if (!c->pcp)
		c->pcp = 1;
	fill_distances(c);
	return 0;
}

/* A window of address space, reserved and inaccessible until parts are mapped into it. */
static void *reserve_window(size_t size)
{
	void *p = kmb_mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int node_create(int nid, char *why, size_t whylen)
{
	const struct kmb_mm_config *c = &kmb_mm.cfg;
	pg_data_t *pgdat = calloc(1, sizeof(*pgdat));
	unsigned long pages = c->node_mem >> PAGE_SHIFT, start = (unsigned long)nid * pages;
	unsigned long low_end = kmb_memmap.max_low_pfn, lo, r;
	char name[32];
	void *tmp;

	if (!pgdat)
		return fail(why, whylen, -ENOMEM, "mm: no memory for node %d's descriptor", nid);
	kmb_mm.node_data[nid] = pgdat;
	pgdat->memfd = -1;
	pgdat->node_id = nid;
	pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = pages;
	snprintf(name, sizeof(name), "kmbench-node%d", nid);
	pgdat->memfd = kmb_memfd_create(name, c->node_mem);
	if (pgdat->memfd < 0)
		return fail(why, whylen, pgdat->memfd, "mm: node %d: memfd of %zu bytes: %s", nid,
			    c->node_mem, strerror(-pgdat->memfd));

	/* Bind the whole file range to the machine's node: the shared policy stays with the
	 * memfd, whichever window maps a frame later (linear map, vmalloc, kmap). */
	tmp = kmb_mmap(NULL, c->node_mem, PROT_READ | PROT_WRITE, MAP_SHARED, pgdat->memfd, 0);
	if (tmp == MAP_FAILED)
		return fail(why, whylen, -errno, "mm: node %d: map: %s", nid, strerror(errno));
	r = (unsigned long)-kmb_numa_bind(tmp, c->node_mem, nid);
	kmb_munmap(tmp, c->node_mem);
	pgdat->bound = r == 0;
	if (r == ENODEV)
		snprintf(pgdat->bind_note, sizeof(pgdat->bind_note),
			 "the machine has no node %d: frames not bound", nid);
	else if (r)
		snprintf(pgdat->bind_note, sizeof(pgdat->bind_note), "mbind to node %d: %s", nid,
			 strerror((int)r));

	/* Low memory into the linear map. */
	lo = start < low_end ? (start + pages < low_end ? pages : low_end - start) : 0;
	tmp = kmb_memmap.linear + (start << PAGE_SHIFT);
	if (lo && kmb_mmap(tmp, lo << PAGE_SHIFT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			   pgdat->memfd, 0) == MAP_FAILED)
		return fail(why, whylen, -errno, "mm: node %d: linear map: %s", nid, strerror(errno));
	return memblock_add_node((phys_addr_t)start << PAGE_SHIFT, c->node_mem, nid) ?
		fail(why, whylen, -ENOSPC, "mm: memblock: too many regions") : 0;
}

static void node_zones_init(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long start = pgdat->node_start_pfn, end = start + pgdat->node_spanned_pages;
	unsigned long dma_end = nid == 0 ? kmb_mm.cfg.dma_size >> PAGE_SHIFT : start;
	unsigned long low = kmb_memmap.max_low_pfn;
	unsigned long n_lo = dma_end, n_hi = end < low ? end : low;

	if (n_hi < n_lo)
		n_hi = n_lo;
	zone_init(&pgdat->node_zones[ZONE_DMA], nid, ZONE_DMA, start, dma_end - start);
	zone_init(&pgdat->node_zones[ZONE_NORMAL], nid, ZONE_NORMAL, n_lo, n_hi - n_lo);
	zone_init(&pgdat->node_zones[ZONE_HIGHMEM], nid, ZONE_HIGHMEM, n_hi, end - n_hi);
}

/* The node whose memfd holds physical address @pa. */
static pg_data_t *phys_node(phys_addr_t pa)
{
	return NODE_DATA((int)(pa / kmb_mm.cfg.node_mem));
}

/*
 * The struct pages of node @nid: memblock memory from the node itself (another node's low
 * memory when it has none), mapped into vmemmap, every frame initialised reserved with
 * refcount 1 until memblock_free_all() hands it over (mm/mm_init.c memmap_init()).
 */
static int memmap_init_node(int nid, char *why, size_t whylen)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	size_t bytes = pgdat->node_spanned_pages * sizeof(struct page);
	void *mem = memblock_alloc_node(bytes, PAGE_SIZE, nid);
	phys_addr_t pa;
	pg_data_t *home;
	struct page *map;

	if (!mem)
		return fail(why, whylen, -ENOMEM, "mm: no low memory left for node %d's memory map "
			    "(%zu bytes)", nid, bytes);
	pa = kmb_pa(mem);
	home = phys_node(pa);
	map = kmb_memmap.vmemmap + pgdat->node_start_pfn;
	if (kmb_mmap(map, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, home->memfd,
		     (off_t)(pa - ((phys_addr_t)home->node_start_pfn << PAGE_SHIFT))) == MAP_FAILED)
		return fail(why, whylen, -errno, "mm: node %d: vmemmap: %s", nid, strerror(errno));
	for (unsigned long i = 0; i < pgdat->node_spanned_pages; i++) {
		struct page *p = &map[i];
		unsigned long pfn = pgdat->node_start_pfn + i;

		p->flags = 1UL << PG_reserved;
		atomic_init(&p->refcount, 1);
		p->node = (uint16_t)nid;
		p->zone = pfn < pgdat->node_zones[ZONE_NORMAL].zone_start_pfn ? ZONE_DMA :
			  pfn < kmb_memmap.max_low_pfn ? ZONE_NORMAL : ZONE_HIGHMEM;
		INIT_LIST_HEAD(&p->lru);
	}
	return 0;
}

/*
 * The model node of each CPU: the machine's node (percpu's record, kmb_cpu_to_node) modulo the
 * model's nodes, so that a model with fewer nodes than the machine still gives every CPU one
 * (a model with more has nodes without CPUs).  The machine's CPUs themselves are percpu's
 * (nr_cpu_ids()); only this mapping is the page layer's.
 */
static void map_cpus(void)
{
	int n = nr_cpu_ids();

	memset(kmb_mm.cpu_node, 0, sizeof(kmb_mm.cpu_node));
	for (int cpu = 0; cpu < n && cpu < (int)ARRAY_SIZE(kmb_mm.cpu_node); cpu++)
		kmb_mm.cpu_node[cpu] = kmb_cpu_to_node(cpu) % kmb_mm.nr_nodes;
}

int physmem_setup(char *why, size_t whylen)
{
	struct kmb_mm_config *c = &kmb_mm.cfg;
	size_t total;
	int r;

	r = config_fill(c, why, whylen);
	if (r)
		return r;
	kmb_mm.nr_nodes = c->nr_nodes;
	total = c->node_mem * (size_t)c->nr_nodes;
	kmb_memmap.max_pfn = total >> PAGE_SHIFT;
	kmb_memmap.max_low_pfn = (c->lowmem_limit ? c->lowmem_limit : total) >> PAGE_SHIFT;
	kmb_mm.linear_size = total;
	kmb_mm.vmemmap_size = kmb_memmap.max_pfn * sizeof(struct page);
	kmb_memmap.linear = reserve_window(kmb_mm.linear_size);
	kmb_memmap.vmemmap = reserve_window(kmb_mm.vmemmap_size);
	if (!kmb_memmap.linear || !kmb_memmap.vmemmap)
		return fail(why, whylen, -ENOMEM, "mm: cannot reserve %zu bytes of address space",
			    kmb_mm.linear_size + kmb_mm.vmemmap_size);
	map_cpus();
	memblock_init();
	for (int nid = 0; nid < c->nr_nodes; nid++)
		if ((r = node_create(nid, why, whylen)))
			return r;
	for (int nid = 0; nid < c->nr_nodes; nid++)
		node_zones_init(nid);
	for (int nid = 0; nid < c->nr_nodes; nid++)
		if ((r = memmap_init_node(nid, why, whylen)))
			return r;
	return 0;
}

void physmem_teardown(void)
{
	for (int nid = 0; nid < KMB_MAX_NUMNODES; nid++) {
		pg_data_t *pgdat = kmb_mm.node_data[nid];

		if (!pgdat)
			continue;
		if (pgdat->memfd >= 0)
			kmb_close(pgdat->memfd);
		free(pgdat);
		kmb_mm.node_data[nid] = NULL;
	}
	if (kmb_memmap.linear) {
		/* free frames are poisoned (base/tools.h): not whatever is mapped here next */
		kmb_tool_unmapped(kmb_memmap.linear, kmb_mm.linear_size);
		kmb_munmap(kmb_memmap.linear, kmb_mm.linear_size);
	}
	if (kmb_memmap.vmemmap)
		kmb_munmap(kmb_memmap.vmemmap, kmb_mm.vmemmap_size);
	memset(&kmb_memmap, 0, sizeof(kmb_memmap));
}
