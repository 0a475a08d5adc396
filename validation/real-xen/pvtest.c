/*
 * pvtest: small workloads for counting what a real Linux PV dom0 asks of Xen.
 *
 * Each workload writes phase markers to the ftrace trace_marker file
 * ("PVMARK <workload> <phase> BEGIN|END"), so the events recorded between two
 * markers belong to that phase.  The init script of the capture initramfs
 * enables the xen:* tracepoints, runs one workload per pvtest process, then
 * counts the events per phase.
 *
 * Usage:
 *   pvtest null                 markers only (baseline noise)
 *   pvtest fork-exit N          mmap N pages, touch them, fork; child exits
 *   pvtest fork-cow N           same, but the child writes every page first
 *   pvtest fork-vmas K N        same as fork-exit, but K VMAs of N pages each,
 *                               one unmapped page between neighbours, each
 *                               unmapped on its own at the end
 *   pvtest exec PROGRAM [N]     mmap and touch N pages (default 0), fork;
 *                               the child execs PROGRAM (which exits)
 *   pvtest lazy-exit N          (2 vCPUs) a child maps and touches N pages on
 *                               CPU 1 and blocks, so CPU 1's idle task keeps its
 *                               mm loaded lazily; it is moved to CPU 0 and exits
 *                               there: xen_exit_mmap's IPI makes CPU 1 leave_mm
 *   pvtest maps                 print /proc/self/maps
 *
 * The N-page region starts on a 2 MiB boundary (one PTE page covers exactly
 * 512 pages), so N=512 fills exactly one page-table page, 513 spills into a
 * second.  The region's place is printed with the maps ("PVMAPS" lines).
 *
 * Build: gcc -static -O2 -o pvtest pvtest.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define SPAN (512UL * PAGE) /* what one PTE page maps */

static int mark_fd = -1;
static int privcmd_fd = -1; /* PVXENMARK=1: phase edges are also marked in Xen's trace (xtcount.c) */
static unsigned mark_seq;

/* linux/include/uapi/xen/privcmd.h: struct privcmd_hypercall and IOCTL_PRIVCMD_HYPERCALL */
struct pv_privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define PV_IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct pv_privcmd_hypercall))

static void die(const char *what)
{
    dprintf(2, "pvtest: %s: %s\n", what, strerror(errno));
    exit(2);
}

static char xmark_log[4096];
static size_t xmark_len;

/* The Xen-trace marker: issued outside the ftrace phase it brackets (before BEGIN, after END), and logged to stdout
   only after an END, so that neither adds events to a phase. */
static void xen_mark(const char *wl, const char *phase, const char *edge)
{
    if (privcmd_fd < 0)
        return;
    /* sched_op (29) with a command Xen does not know: -ENOSYS, nothing done, but traced with its command */
    struct pv_privcmd_hypercall h = {.op = 29, .arg = {0x50560000u | (mark_seq & 0xffffu), 0, 0, 0, 0}};
    long rc = ioctl(privcmd_fd, PV_IOCTL_PRIVCMD_HYPERCALL, &h);
    int n = snprintf(xmark_log + xmark_len, sizeof xmark_log - xmark_len, "PVXMARK %u %s %s %s %ld\n", mark_seq, wl,
                     phase, edge, rc);
    if (n > 0 && (size_t)n < sizeof xmark_log - xmark_len)
        xmark_len += (size_t)n;
    mark_seq++;
    if (strcmp(edge, "END") == 0) {
        if (write(1, xmark_log, xmark_len) != (ssize_t)xmark_len)
            die("write stdout");
        xmark_len = 0;
    }
}

static void mark(const char *wl, const char *phase, const char *edge)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "PVMARK %s %s %s\n", wl, phase, edge);
    if (strcmp(edge, "BEGIN") == 0)
        xen_mark(wl, phase, edge);
    if (mark_fd >= 0 && write(mark_fd, buf, (size_t)n) != n)
        die("write trace_marker");
    if (strcmp(edge, "END") == 0)
        xen_mark(wl, phase, edge);
}

static void open_marker(void)
{
    const char *paths[] = {"/sys/kernel/tracing/trace_marker",
                           "/sys/kernel/debug/tracing/trace_marker"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        mark_fd = open(paths[i], O_WRONLY);
        if (mark_fd >= 0)
            return;
    }
    dprintf(2, "pvtest: no trace_marker; phases will not be marked\n");
}

static void open_privcmd(void)
{
    const char *env = getenv("PVXENMARK");
    if (!env || strcmp(env, "1") != 0)
        return;
    privcmd_fd = open("/dev/xen/privcmd", O_RDWR);
    if (privcmd_fd < 0)
        die("PVXENMARK=1 but /dev/xen/privcmd");
    const char *seq = getenv("PVXENMARK_SEQ"); /* init.sh numbers markers across workloads */
    mark_seq = seq ? (unsigned)strtoul(seq, NULL, 10) : 0;
}

/* Print /proc/self/maps, each line prefixed with "PVMAPS <workload> ". */
static void print_maps(const char *wl)
{
    static char buf[65536];
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        die("open /proc/self/maps");
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    buf[len] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        dprintf(1, "PVMAPS %s %s\n", wl, line);
}

/* N anonymous private pages starting on a 2 MiB boundary (NULL when n == 0). */
static char *map_region(unsigned long n)
{
    if (n == 0)
        return NULL;
    size_t want = n * PAGE, total = want + SPAN;
    char *raw = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        die("mmap");
    uintptr_t start = ((uintptr_t)raw + SPAN - 1) & ~(SPAN - 1);
    size_t head = start - (uintptr_t)raw, tail = total - head - want;
    if (head && munmap(raw, head) != 0)
        die("munmap head");
    if (tail && munmap((char *)start + want, tail) != 0)
        die("munmap tail");
    madvise((void *)start, want, MADV_NOHUGEPAGE);
    return (char *)start;
}

static void touch(char *p, unsigned long n, char v)
{
    for (unsigned long i = 0; i < n; i++)
        ((volatile char *)p)[i * PAGE] = v;
}

static void xpipe(int fds[2])
{
    if (pipe(fds) != 0)
        die("pipe");
}

static void put(int fd)
{
    if (write(fd, "x", 1) != 1)
        die("write pipe");
}

static void get(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1)
        _exit(3);
}

static void reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        dprintf(2, "pvtest: child status %#x\n", st);
}

/*
 * fork-exit-N / fork-cow-N.  Phases:
 *   mmap   the mmap (and the trimming munmaps): no page is touched yet
 *   touch  the parent writes one byte in each page (demand faults)
 *   fork   fork() in the parent, up to the parent's return
 *   cow    (fork-cow only) the child writes one byte in each page
 *   exit   the child's _exit and the parent's waitpid
 *   munmap the parent unmaps the region
 * The child waits on a pipe, so its work falls in the phase the parent opens.
 */
static int fork_workload(unsigned long k, unsigned long n, int cow)
{
    char wl[64];
    if (k == 1)
        snprintf(wl, sizeof wl, "%s-%lu", cow ? "fork-cow" : "fork-exit", n);
    else
        snprintf(wl, sizeof wl, "fork-vmas-%lux%lu", k, n);
    /* VMA i holds pages [i*(n+1), i*(n+1)+n) of the span; the page after each
       but the last is unmapped, so neighbours cannot merge. */
    unsigned long span = k * n + (k - 1);
    int go[2], done[2];
    xpipe(go);
    xpipe(done);

    mark(wl, "mmap", "BEGIN");
    char *p = map_region(n ? span : 0);
    for (unsigned long i = 0; p && i + 1 < k; i++)
        if (munmap(p + (i * (n + 1) + n) * PAGE, PAGE) != 0)
            die("munmap hole");
    mark(wl, "mmap", "END");

    mark(wl, "touch", "BEGIN");
    for (unsigned long i = 0; p && i < k; i++)
        touch(p + i * (n + 1) * PAGE, n, 1);
    mark(wl, "touch", "END");

    print_maps(wl);
    if (p)
        dprintf(1, "PVREGION %s %lx-%lx %lu\n", wl, (unsigned long)p,
                (unsigned long)(p + span * PAGE), span);

    mark(wl, "fork", "BEGIN");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        get(go[0]);
        if (cow) {
            touch(p, n, 2); /* cow runs with k == 1 only */
            put(done[1]);
            get(go[0]);
        }
        _exit(0);
    }
    mark(wl, "fork", "END");

    if (cow) {
        mark(wl, "cow", "BEGIN");
        put(go[1]);
        get(done[0]);
        mark(wl, "cow", "END");
    }

    mark(wl, "exit", "BEGIN");
    put(go[1]);
    reap(pid);
    mark(wl, "exit", "END");

    mark(wl, "munmap", "BEGIN");
    for (unsigned long i = 0; p && i < k; i++)
        if (munmap(p + i * (n + 1) * PAGE, n * PAGE) != 0)
            die("munmap");
    mark(wl, "munmap", "END");
    return 0;
}

/*
 * exec-N: phases
 *   mmap, touch   as in fork-exit-N (nothing when N == 0)
 *   fork          fork() in the parent
 *   exec          the child's execve of PROGRAM (its old mm, a copy of the
 *                 parent's with the N pages, is torn down), PROGRAM's run and
 *                 exit, the wait
 */
static int exec_workload(const char *prog, unsigned long n)
{
    char wl[64];
    snprintf(wl, sizeof wl, "exec-%lu", n);
    int go[2];
    xpipe(go);

    mark(wl, "mmap", "BEGIN");
    char *p = map_region(n);
    mark(wl, "mmap", "END");

    mark(wl, "touch", "BEGIN");
    touch(p, n, 1);
    mark(wl, "touch", "END");

    print_maps(wl);
    if (p)
        dprintf(1, "PVREGION %s %lx-%lx %lu\n", wl, (unsigned long)p,
                (unsigned long)(p + n * PAGE), n);
    mark(wl, "fork", "BEGIN");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        get(go[0]);
        char *argv[] = {(char *)prog, NULL};
        char *envp[] = {NULL};
        execve(prog, argv, envp);
        _exit(127);
    }
    mark(wl, "fork", "END");
    mark(wl, "exec", "BEGIN");
    put(go[1]);
    reap(pid);
    mark(wl, "exec", "END");
    return 0;
}

static void pin_to(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(pid, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

/*
 * lazy-exit-N (2 vCPUs): the race at the heart of the seed thread, on the real kernel. Phases
 *   touch  the child, alone on CPU 1, maps and writes N pages, then blocks on a pipe: CPU 1 switches to its idle
 *          task, which keeps the child's mm loaded (lazy TLB: cpu_tlbstate.loaded_mm and xen_current_cr3 unchanged)
 *   exit   the parent (on CPU 0) moves the child to CPU 0 and wakes it; the child exits there, the last user of its
 *          mm: xen_exit_mmap's xen_drop_mm_ref finds CPU 1's xen_current_cr3 on the mm's pgd and sends it an IPI
 *          (drop_mm_ref_this_cpu: leave_mm), then unpins; the parent reaps it
 * Counts per CPU tell the two sides apart (count.awk's PVCPU lines).
 */
static int lazy_exit_workload(unsigned long n)
{
    char wl[64];
    snprintf(wl, sizeof wl, "lazy-exit-%lu", n);
    int ready[2], go[2];
    xpipe(ready);
    xpipe(go);
    pin_to(0, 0);
    mark(wl, "touch", "BEGIN");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        pin_to(0, 1);
        char *p = map_region(n);
        touch(p, n, 1);
        put(ready[1]);
        get(go[0]); /* blocks: CPU 1 goes idle with this mm loaded */
        _exit(0);
    }
    get(ready[0]);
    mark(wl, "touch", "END");
    pin_to(pid, 0); /* the child sleeps; it wakes on CPU 0 */
    mark(wl, "exit", "BEGIN");
    put(go[1]);
    reap(pid);
    mark(wl, "exit", "END");
    return 0;
}

/*
 * Run the parent as SCHED_FIFO and its children as normal tasks
 * (SCHED_RESET_ON_FORK), so that on the one dom0 vCPU a child runs only when
 * the parent blocks (on the pipe or in waitpid), never inside a phase the
 * parent is still in: otherwise a timer tick now and then lets the new child
 * run its first faults inside the parent's fork phase.  init.sh turns RT
 * throttling off.  Not being allowed is only a warning.
 */
static void fifo(void)
{
    struct sched_param sp = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
        dprintf(2, "pvtest: SCHED_FIFO: %s (a child may run inside a phase)\n", strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        dprintf(2, "usage: pvtest null|maps|fork-exit N|fork-cow N|fork-vmas K N|exec PROGRAM [N]|lazy-exit N\n");
        return 1;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "maps") == 0) {
        print_maps("maps");
        return 0;
    }
    open_marker();
    open_privcmd();
    fifo();
    if (strcmp(mode, "null") == 0) {
        mark("null", "null", "BEGIN");
        mark("null", "null", "END");
        return 0;
    }
    if ((strcmp(mode, "fork-exit") == 0 || strcmp(mode, "fork-cow") == 0) && argc == 3)
        return fork_workload(1, strtoul(argv[2], NULL, 10), mode[5] == 'c');
    if (strcmp(mode, "fork-vmas") == 0 && argc == 4 && strtoul(argv[2], NULL, 10) >= 1)
        return fork_workload(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10), 0);
    if (strcmp(mode, "lazy-exit") == 0 && argc == 3)
        return lazy_exit_workload(strtoul(argv[2], NULL, 10));
    if (strcmp(mode, "exec") == 0 && (argc == 3 || argc == 4))
        return exec_workload(argv[2], argc == 4 ? strtoul(argv[3], NULL, 10) : 0);
    dprintf(2, "pvtest: bad arguments\n");
    return 1;
}
