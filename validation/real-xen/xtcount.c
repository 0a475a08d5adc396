/*
 * xtcount: count Xen trace records (the file xentrace writes) between the phase markers pvtest issues.
 *
 * pvtest, when PVXENMARK=1, marks each phase edge with a hypercall Xen refuses: sched_op with the unknown command
 * 0x5056xxxx (xxxx = the marker's sequence number; -ENOSYS, no effect), which Xen records as TRC_PV_HYPERCALL_V2
 * with the command as its one argument. Xen's ptwr emulations (TRC_PV_PTWR_EMULATION, 64-bit flavour), page
 * faults, traps and hypercalls between marker k and k+1 are counted against marker k, per physical CPU
 * (dom0's vCPUs are pinned with dom0_vcpus_pin, so a physical CPU's counts are one vCPU's).
 *
 * With several dom0 vCPUs the markers come on one physical CPU and the work on others, so records are ordered by
 * their TSC across CPUs first (Xen stamps every record it writes with trace_time; records without a stamp keep
 * the stamp of the record before them on their CPU), and a marker opens a phase on every CPU.
 *
 * Output: "PVXCOUNT <cpu> <marker seq> <key> <n>" (seq -1: before the first marker), "PVXLOST <cpu> <n>" for
 * TRC_LOST_RECORDS, and "PVXBAD ..." for a malformed file.
 *
 * The record layout (xen/include/public/trace.h, tools/xentrace/xentrace.c): a 32-bit header, event in bits 0-27,
 * the number of 32-bit extra words in bits 28-30, bit 31 set when a 64-bit TSC follows the header; xentrace puts a
 * TRC_TRACE_CPU_CHANGE record (extras: cpu, window size in bytes) before each window of one CPU's records.
 *
 * Build: gcc -static -O2 -o xtcount xtcount.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRC_TRACE_CPU_CHANGE 0x0001f003u
#define TRC_LOST_RECORDS 0x0001f001u
#define TRC_PV_ENTRY 0x00201000u
#define TRC_64_FLAG 0x100u
#define TRC_PV_HYPERCALL_V2 (TRC_PV_ENTRY + 13)
#define TRC_PV_TRAP (TRC_PV_ENTRY + 3)
#define TRC_PV_PAGE_FAULT (TRC_PV_ENTRY + 4)
#define TRC_PV_PTWR_EMULATION (TRC_PV_ENTRY + 11)
#define SCHEDOP 29
#define MARK_TAG 0x5056u

#define MAXCPU 64
#define MAXMARK 4096
enum { K_PTWR, K_PF, K_TRAP, K_HC, K_HC_MMU_UPDATE, K_HC_MMUEXT, K_HC_MULTICALL, K_HC_UVA, K_N };
static const char *key_name[K_N] = {"ptwr_emulation", "pv_page_fault", "pv_trap", "hypercall",
                                    "hypercall_mmu_update", "hypercall_mmuext_op", "hypercall_multicall",
                                    "hypercall_update_va_mapping"};
static unsigned long counts[MAXCPU][MAXMARK + 1][K_N];
static unsigned long lost[MAXCPU];

struct rec {
    uint64_t tsc;
    uint32_t order; /* file order, to keep the sort stable */
    uint16_t cpu;
    int16_t key;    /* K_*, or -1 - marker seq for a marker, or -32768 for a lost-records record */
};

static struct rec *recs;
static size_t nrecs, caprecs;

static void push(uint64_t tsc, int cpu, int key)
{
    if (nrecs == caprecs) {
        caprecs = caprecs ? 2 * caprecs : 65536;
        recs = realloc(recs, caprecs * sizeof *recs);
        if (!recs) { printf("PVXBAD out of memory\n"); exit(1); }
    }
    recs[nrecs] = (struct rec){tsc, (uint32_t)nrecs, (uint16_t)cpu, (int16_t)key};
    nrecs++;
}

static int by_time(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->tsc != y->tsc) return x->tsc < y->tsc ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) { printf("PVXBAD cannot open %s\n", argv[1]); return 1; }
    int cpu = 0, maxcpu = 0;
    uint64_t last_tsc[MAXCPU] = {0};
    uint32_t w[1 + 2 + 7];
    while (fread(&w[0], 4, 1, f) == 1) {
        uint32_t ev = w[0] & 0x0fffffffu, extra = (w[0] >> 28) & 7, tsc = w[0] >> 31;
        size_t words = (tsc ? 2 : 0) + extra;
        if (words && fread(&w[1], 4, words, f) != words) { printf("PVXBAD truncated record\n"); return 1; }
        const uint32_t *x = &w[1 + (tsc ? 2 : 0)];
        if (ev == TRC_TRACE_CPU_CHANGE) {
            cpu = extra >= 1 ? (int)x[0] : 0;
            if (cpu < 0 || cpu >= MAXCPU) { printf("PVXBAD cpu %d\n", cpu); return 1; }
            if (cpu > maxcpu) maxcpu = cpu;
            continue;
        }
        if (tsc) last_tsc[cpu] = (uint64_t)w[1] | ((uint64_t)w[2] << 32);
        uint64_t t = last_tsc[cpu];
        if (ev == TRC_LOST_RECORDS) push(t, cpu, -32768);
        else if ((ev & ~TRC_64_FLAG) == TRC_PV_PTWR_EMULATION) push(t, cpu, K_PTWR);
        else if ((ev & ~TRC_64_FLAG) == TRC_PV_PAGE_FAULT) push(t, cpu, K_PF);
        else if ((ev & ~TRC_64_FLAG) == TRC_PV_TRAP) push(t, cpu, K_TRAP);
        else if (ev == TRC_PV_HYPERCALL_V2 && extra >= 1) {
            uint32_t op = x[0] & 0x000fffffu;
            if (op == SCHEDOP && extra >= 2 && (x[1] >> 16) == MARK_TAG) {
                int seq = (int)(x[1] & 0xffffu);
                if (seq >= MAXMARK) { printf("PVXBAD marker %d\n", seq); return 1; }
                push(t, cpu, -1 - seq);
                continue;
            }
            push(t, cpu, K_HC);
            if (op == 1) push(t, cpu, K_HC_MMU_UPDATE);
            else if (op == 26) push(t, cpu, K_HC_MMUEXT);
            else if (op == 13) push(t, cpu, K_HC_MULTICALL);
            else if (op == 14) push(t, cpu, K_HC_UVA);
        }
    }
    qsort(recs, nrecs, sizeof *recs, by_time);
    int cur = -1;
    for (size_t i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        if (r->key == -32768) lost[r->cpu]++;
        else if (r->key < 0) cur = -1 - r->key;
        else counts[r->cpu][cur + 1][r->key]++;
    }
    for (int c = 0; c <= maxcpu; c++) {
        for (int m = 0; m <= MAXMARK; m++)
            for (int k = 0; k < K_N; k++)
                if (counts[c][m][k]) printf("PVXCOUNT %d %d %s %lu\n", c, m - 1, key_name[k], counts[c][m][k]);
        if (lost[c]) printf("PVXLOST %d %lu\n", c, lost[c]);
    }
    return 0;
}
