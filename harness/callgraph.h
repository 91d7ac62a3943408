/*
 * callgraph.h - `kmbench run --profile`: perf call-graph profiles of cells (callgraph.c).
 *
 * Not the profile pass (profile.h, latency and memory, turned off by --no-profile): this is
 * where a cell's time goes, by function.  After a selected cell's timed repetitions (and its
 * profile pass) the child (child.c) runs the cell once more, the *callgraph pass*, with the
 * iterations of its repetitions, while `perf record -g` is attached to the child process
 * (-p, so every thread of the pass, and none of perf's own).  perf starts with its events
 * disabled (-D -1) and is enabled and disabled through its control pipe (--control fd:CTL,ACK,
 * perf 5.10), each command acknowledged, so the samples are those of the pass and nothing of
 * the timed repetitions is recorded: their timings stay clean, and the pass's own time is
 * recorded beside their median as the overhead.
 *
 * Call chains are walked by frame pointer (perf's -g default, --call-graph fp): every build
 * keeps them (CMakeLists.txt: -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer).  The
 * event is cycles where this process can count it (a hardware PMU), else the cpu-clock
 * software event (a VM without a PMU); the choice and its reason are recorded.
 *
 * `perf script` turns the data into Brendan Gregg's folded stacks ("root;...;leaf count", the
 * format of FlameGraph's stackcollapse-perf.pl, written here from perf's own output: no
 * external tool), and the top functions by self and by total samples.  The perf.data file is
 * removed once folded.  Where perf is missing, refused (perf_event_paranoid, not root), or
 * fails, the cell's callgraph is "unavailable" with the reason: a run never fails for it.
 *
 * The perf binary is KMB_PERF where set (a test points it at a missing file), else "perf"
 * from PATH.
 */
#ifndef KMB_HARNESS_CALLGRAPH_H
#define KMB_HARNESS_CALLGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KMB_CG_ENV		"KMB_PERF"	/* the perf binary; default "perf" on PATH */
#define KMB_CG_DIR		"profiles"	/* in the run directory */
#define KMB_CG_FREQ		4000		/* samples per second per thread: perf's default */
#define KMB_CG_TOP		25		/* functions in each list of the top file */
#define KMB_CG_ACK_MS		30000		/* the longest a control command may take */

/* kmb_cg_match - does --profile's @spec select the cell @name ("<family>/threads:N")?  @spec
 * is a comma-separated list of patterns: one with a glob character (* ? [) matches the whole
 * name (fnmatch(3)), any other is a substring; "" selects every cell. */
bool kmb_cg_match(const char *spec, const char *name);

/* kmb_cg_basename - the files' base name of the cell @name: '/' as '_', ':' as '-', any other
 * character outside [A-Za-z0-9._-] as '_' ("churn_slab_size-64_batch-1_threads-1"). */
void kmb_cg_basename(char *buf, size_t len, const char *name);

/* kmb_cg_c2c_supported - can this machine sample memory accesses, as perf c2c needs (Intel's
 * mem-loads event or AMD's IBS)?  NULL: yes; else why not. */
const char *kmb_cg_c2c_supported(void);

/* A perf record (or perf c2c record) attached to this process. */
struct kmb_cg_rec {
	pid_t pid;		/* perf; 0: none */
	int ctl, ack;		/* our ends of its control and acknowledgement pipes */
	char log[4096];		/* its stdout and stderr */
};

/*
 * kmb_cg_start - start perf on this process, recording into @data, its output into @log, and
 * enable its events: `perf record -g -F KMB_CG_FREQ -e @event` (@c2c false), or `perf c2c
 * record` (@c2c true; @event unused).  Returns once perf has acknowledged "enable": samples
 * are being taken.  0, or -errno with the reason (perf's own last line where it gave one) in
 * @why; nothing is left running then.  No thread of this process may fork meanwhile.
 */
int kmb_cg_start(struct kmb_cg_rec *r, bool c2c, const char *event, const char *data,
		 const char *log, char *why, size_t len);

/* kmb_cg_stop - disable perf's events, stop it (SIGINT, as perf's own Ctrl-C) and wait for it
 * to write @r's data.  0, or -errno with the reason in @why. */
int kmb_cg_stop(struct kmb_cg_rec *r, char *why, size_t len);

/*
 * kmb_cg_fold - `perf script` over @data into the folded stacks @folded and the top
 * functions @top (JSON: {"samples", "self": [{"function", "samples"}], "total": [...]}, each
 * at most KMB_CG_TOP, most first), both written atomically; *samples is how many samples.
 * 0, or -errno with the reason in @why.
 */
int kmb_cg_fold(const char *data, const char *folded, const char *top, long long *samples,
		char *why, size_t len);

/* kmb_cg_c2c_report - `perf c2c report --stdio` over @data into @out, atomically.  0 or
 * -errno with the reason in @why. */
int kmb_cg_c2c_report(const char *data, const char *out, char *why, size_t len);

#endif
