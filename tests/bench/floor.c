/*
 * floor.c - what bounds a replay on this machine (make bench; not a test).
 *
 * Before any rule runs, a scan-first replay makes two passes over every line of a capture
 * (daemon/replay.c): the line index (each line's end, stamp and process block, and the messages
 * copied out as the scan text: cs_line_index_build, cs_line_index_text) and the Vectorscan scan of
 * that text for every rule literal (cs_rules_scan, the builtin rules). Here each runs alone, in one
 * thread, over the file in the replay's 256 KiB chunks, and prints the CPU seconds each took. Their
 * sum over the machine's CPUs is the fastest any replay that makes those passes can go here: the
 * issue 12 target is measured against it (bench.sh prints both).
 *
 * usage: floor FILE         -> "INDEX_CPU_S SCAN_CPU_S LITERALS HITS"
 *        floor --literals   -> the scan's literals, one per line (lower case: rg -i -F -f reads
 *                              them, the peer doing the same search)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callsightd.h"

static double
thread_cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
count_hit(size_t end, unsigned id, void *ctx)
{
	(void)end;
	(void)id;
	(*(unsigned long *)ctx)++;
	return 0;
}

static unsigned
literal_count(const struct cs_rules *rules)
{
	unsigned n = 0;
	while (cs_rules_scan_literal(rules, n) != NULL)
		n++;
	return n;
}

static int
print_literals(const struct cs_rules *rules)
{
	const char *lit;
	for (unsigned id = 0; (lit = cs_rules_scan_literal(rules, id)) != NULL; id++)
		printf("%.*s\n", (int)cs_rules_scan_literal_len(rules, id), lit);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
measure(struct cs_rules *rules, const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
		return 1;
	}
	char *buf = cs_xmalloc(CS_REPLAY_CHUNK), *text = cs_xmalloc(CS_REPLAY_CHUNK + 1);
	struct cs_line_index *ix = cs_line_index_new();
	double index_s = 0, scan_s = 0;
	unsigned long hits = 0;
	ssize_t n;
	int rc = 0;
	while ((n = cs_replay_read(fd, buf, CS_REPLAY_CHUNK)) != 0) {
		if (n < 0) {
			fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
			rc = 1;
			break;
		}
		double t0 = thread_cpu();
		cs_line_index_build(ix, buf, (size_t)n);
		size_t len = cs_line_index_text(ix, text);
		double t1 = thread_cpu();
		if (cs_rules_scan(rules, text, len, count_hit, &hits) < 0) {
			fprintf(stderr, "floor: the rules cannot scan (built without Vectorscan?)\n");
			rc = 1;
			break;
		}
		double t2 = thread_cpu();
		index_s += t1 - t0;
		scan_s += t2 - t1;
	}
	close(fd);
	cs_line_index_free(ix);
	free(text);
	free(buf);
	if (rc == 0)
		printf("%.3f %.3f %u %lu\n", index_s, scan_s, literal_count(rules), hits);
	return rc;
}

int
main(int argc, char **argv)
{
	char err[512];
	if (argc != 2) {
		fprintf(stderr, "usage: floor FILE | floor --literals\n");
		return 2;
	}
	struct cs_rules *rules = cs_rules_new();
	if (cs_rules_load_builtin(rules, err, sizeof err) < 0) {
		fprintf(stderr, "floor: the builtin rules: %s\n", err);
		cs_rules_free(rules);
		return 1;
	}
	int rc = strcmp(argv[1], "--literals") == 0 ? print_literals(rules) : measure(rules, argv[1]);
	cs_rules_free(rules);
	return rc;
}
