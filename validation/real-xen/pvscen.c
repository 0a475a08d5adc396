/*
 * pvscen: runs a workload scenario file's programs on the real dom0, each step on the vCPU the file gives it, with
 * the step's window marked in the trace (trace_marker "PVMARK <scenario> <phase> BEGIN|END"), so that count.awk
 * counts each vCPU's events per phase as the model charges them (`pvmmu run --scenario`).
 *
 *   pvscen FILE        FILE: the scenario in the line format `pvmmu validate --scenario F --driver-lines` prints
 *
 * The actors. The driver itself (the coordinator) runs on one vCPU more than the scenario has (dom0 is booted with
 * vcpus + 1), so its own context switches never fall on a scenario vCPU. Each process of the file is a child of the
 * driver: it maps the image's regions (MAP_FIXED_NOREPLACE at the file's addresses) and writes every page, pinned to
 * its vCPU (setup, not compared), then waits for commands in a page shared with the driver:
 *   - blocked: in FUTEX_WAIT, the CPU it was on runs its idle task, which keeps the process's mm lazily;
 *   - running: spinning on the command word (no system call, no page fault), so its vCPU switches nowhere.
 * The steps, one at a time in a fixed order (the lowest vCPU whose next step can go; signal/wait order the vCPUs):
 *   run P        (switch) the process running on the vCPU, if any, is blocked first (its vCPU goes idle: a kernel
 *                thread that borrows its mm lazily), then P, blocked, is moved there (sched_setaffinity) and woken:
 *                one context switch to P on that vCPU; P spins there
 *   kthread      (switch) the process running on the vCPU blocks: the vCPU switches to its idle task (lazy TLB)
 *   touch P N    (switch) P, running on the vCPU, writes the first N pages of its first region
 *   exit P       (exit)   P, running on the vCPU, calls _exit; the driver reaps it
 *   signal/wait  no window: the order is the driver's
 * After a step the driver waits 20 ms before the END marker, so that an IPI's handler or the end of a context switch
 * on a scenario vCPU lands inside the window of the step that caused it.
 *
 * At the end of its setup each process reports the first present page of each 2 MiB block (one PTE page) outside the
 * scenario's regions (/proc/self/pagemap): "PVPRESENT <scenario> <process> 0x<addr>"; the model maps a stand-in page
 * there, so that both have the same page-table pages (the driver's text, data, stack, vvar/vdso and control page).
 *
 * Build: gcc -static -O2 -Wl,-Ttext-segment=0x20000000 -o pvscen pvscen.c   (the text away from 0x400000, where
 * scenario files put their regions)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAXP 64
#define MAXR 16
#define MAXS 1024

enum { CMD_NONE, CMD_RUN, CMD_BLOCK, CMD_TOUCH, CMD_EXIT };

struct slot {
    volatile uint32_t seq; /* bumped for each command; the futex word */
    volatile uint32_t cmd;
    volatile uint32_t arg;
    volatile uint32_t ack; /* the seq the process has carried out */
};

struct region {
    unsigned long start, pages;
};

struct image {
    int nregions;
    struct region r[MAXR];
};

struct step {
    int cpu;
    char kind[16];
    int a, b;
    char phase[16];
};

static char name[64] = "scenario";
static int vcpus;
static struct image images[MAXP];
static int nimages;
static int proc_image[MAXP], proc_cpu[MAXP], nprocs;
static struct step steps[MAXS];
static int nsteps;
static struct slot *slots;
static pid_t pids[MAXP];
static int oncpu[MAXP]; /* per vCPU: the process spinning there, or -1 */
static int mark_fd = -1;

static void die(const char *what)
{
    dprintf(2, "pvscen: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void bad(int line, const char *what)
{
    dprintf(2, "pvscen: %s %d: %s\n", line > 0 ? "line" : "step", line > 0 ? line : -line, what);
    exit(1);
}

static void pin(pid_t pid, int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (sched_setaffinity(pid, sizeof s, &s) != 0)
        die("sched_setaffinity");
}

static void mark(const char *phase, const char *edge)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "PVMARK %s %s %s\n", name, phase, edge);
    if (mark_fd >= 0 && write(mark_fd, buf, (size_t)n) != n)
        die("write trace_marker");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static long futex(volatile uint32_t *w, int op, uint32_t val)
{
    return syscall(SYS_futex, (uint32_t *)w, op, val, NULL, NULL, 0);
}

/* ---- the process side ---- */

static char present_buf[16384];
static size_t present_len;

/* The first present page of each 2 MiB block of this process outside the scenario's regions. */
static void find_present(int p, const struct image *im)
{
    present_len = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    int pm = open("/proc/self/pagemap", O_RDONLY);
    if (!maps || pm < 0)
        die("open /proc/self/maps or pagemap");
    char line[512];
    unsigned long last_block = ~0UL;
    while (fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        int m = snprintf(present_buf + present_len, sizeof present_buf - present_len, "PVMAPS %s %s", name, line);
        if (m > 0 && (size_t)m < sizeof present_buf - present_len)
            present_len += (size_t)m;
        if (lo >= 0x800000000000UL)
            continue;
        int ours = 0;
        for (int i = 0; i < im->nregions; i++)
            if (lo < im->r[i].start + im->r[i].pages * PAGE && hi > im->r[i].start)
                ours = 1;
        if (ours)
            continue;
        for (unsigned long a = lo; a < hi; a += PAGE) {
            uint64_t e;
            if (pread(pm, &e, sizeof e, (off_t)(a / PAGE * 8)) != (ssize_t)sizeof e)
                break;
            unsigned long block = a & ~(512 * PAGE - 1);
            if ((e >> 63) & 1 && block != last_block) {
                last_block = block;
                int n = snprintf(present_buf + present_len, sizeof present_buf - present_len,
                                 "PVPRESENT %s %d 0x%lx\n", name, p, a);
                if (n > 0 && (size_t)n < sizeof present_buf - present_len)
                    present_len += (size_t)n;
            }
        }
    }
    fclose(maps);
    close(pm);
}

static void process_main(int p)
{
    struct slot *s = &slots[p];
    const struct image *im = &images[proc_image[p]];
    char comm[16];
    snprintf(comm, sizeof comm, "pvscen-p%d", p);
    prctl(PR_SET_NAME, comm);
    pin(0, proc_cpu[p]);
    sched_yield();
    for (int i = 0; i < im->nregions; i++) {
        void *want = (void *)im->r[i].start;
        void *got = mmap(want, im->r[i].pages * PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (got != want)
            die("mmap of a region at its address");
        for (unsigned long k = 0; k < im->r[i].pages; k++)
            ((volatile char *)want)[k * PAGE] = 1;
    }
    /* the control page is read before the report, so its PTE page is in it; the report runs twice: the first pass
       faults in what the report itself uses */
    uint32_t seen = s->seq;
    find_present(p, im);
    find_present(p, im);
    if (write(1, present_buf, present_len) != (ssize_t)present_len)
        die("write stdout");
    pin(0, vcpus); /* off the scenario vCPUs until a run step */
    s->ack = seen;
    int running = 0;
    for (;;) {
        if (running)
            while (s->seq == seen)
                __builtin_ia32_pause();
        else
            while (s->seq == seen)
                futex(&s->seq, FUTEX_WAIT, seen);
        seen = s->seq;
        switch (s->cmd) {
        case CMD_RUN:
            running = 1;
            break;
        case CMD_BLOCK:
            running = 0;
            break;
        case CMD_TOUCH: {
            const struct region *r = &im->r[0];
            for (unsigned long k = 0; k < s->arg && k < r->pages; k++)
                ((volatile char *)r->start)[k * PAGE] = 1;
            break;
        }
        case CMD_EXIT:
            syscall(SYS_exit_group, 0);
            break;
        default:
            break;
        }
        s->ack = seen;
    }
}

/* ---- the driver side ---- */

static void command(int p, uint32_t cmd, uint32_t arg)
{
    struct slot *s = &slots[p];
    s->cmd = cmd;
    s->arg = arg;
    __atomic_add_fetch(&s->seq, 1, __ATOMIC_SEQ_CST);
    futex(&s->seq, FUTEX_WAKE, 1);
}

static void wait_ack(int p)
{
    while (slots[p].ack != slots[p].seq)
        sleep_ms(1);
}

/* Waits until process p sleeps (state S in /proc/PID/stat): it has left its vCPU. */
static void wait_asleep(int p)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pids[p]);
    for (;;) {
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            die("open /proc/PID/stat");
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *rp = strrchr(buf, ')');
            if (rp && rp[1] == ' ' && rp[2] == 'S')
                return;
        }
        sleep_ms(1);
    }
}

static void block(int p)
{
    command(p, CMD_BLOCK, 0);
    wait_ack(p);
    wait_asleep(p);
}

static int running_cpu(int p)
{
    for (int c = 0; c < vcpus; c++)
        if (oncpu[c] == p)
            return c;
    return -1;
}

static void run_step(const struct step *st, int line)
{
    int c = st->cpu;
    if (strcmp(st->kind, "signal") == 0 || strcmp(st->kind, "wait") == 0)
        return;
    mark(st->phase, "BEGIN");
    if (strcmp(st->kind, "run") == 0) {
        int p = st->a;
        if (oncpu[c] == p) {
            /* already there: nothing to switch */
        } else {
            if (oncpu[c] >= 0)
                block(oncpu[c]);
            int was = running_cpu(p);
            if (was >= 0) {
                oncpu[was] = -1;
                pin(pids[p], c); /* migrated while it runs */
            } else {
                pin(pids[p], c);
                command(p, CMD_RUN, 0);
                wait_ack(p);
            }
            oncpu[c] = p;
        }
    } else if (strcmp(st->kind, "kthread") == 0) {
        if (oncpu[c] >= 0)
            block(oncpu[c]);
        oncpu[c] = -1;
    } else if (strcmp(st->kind, "touch") == 0) {
        if (oncpu[c] != st->a)
            bad(line, "touch: the process is not running on this vCPU (a run step first)");
        command(st->a, CMD_TOUCH, (uint32_t)st->b);
        wait_ack(st->a);
    } else if (strcmp(st->kind, "exit") == 0) {
        int p = st->a;
        if (oncpu[c] != p)
            bad(line, "exit: the process is not running on this vCPU (a run step first)");
        command(p, CMD_EXIT, 0);
        int status;
        if (waitpid(pids[p], &status, 0) != pids[p])
            die("waitpid");
        pids[p] = 0;
        oncpu[c] = -1;
    }
    sleep_ms(20);
    mark(st->phase, "END");
}

static void parse(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        die(file);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char kw[16];
        if (sscanf(line, "%15s", kw) != 1)
            continue;
        if (strcmp(kw, "pvscen") == 0) {
            if (strcmp(line, "pvscen 1\n") != 0)
                bad(n, "expected format version 'pvscen 1'");
        } else if (strcmp(kw, "name") == 0) {
            if (sscanf(line, "name %63s", name) != 1)
                bad(n, "expected 'name NAME'");
        } else if (strcmp(kw, "vcpus") == 0) {
            if (sscanf(line, "vcpus %d", &vcpus) != 1 || vcpus < 1 || vcpus >= MAXP)
                bad(n, "expected 'vcpus N'");
        } else if (strcmp(kw, "image") == 0) {
            int i, stack;
            if (sscanf(line, "image %d %d", &i, &stack) != 2 || i != nimages || i >= MAXP)
                bad(n, "expected 'image I STACK' with I the next image");
            nimages++;
        } else if (strcmp(kw, "region") == 0) {
            int i;
            unsigned long start, pages;
            if (sscanf(line, "region %d %lx %lu", &i, &start, &pages) != 3 || i < 0 || i >= nimages ||
                images[i].nregions >= MAXR)
                bad(n, "expected 'region IMAGE 0xSTART PAGES'");
            images[i].r[images[i].nregions++] = (struct region){start, pages};
        } else if (strcmp(kw, "process") == 0) {
            int p, im, cpu;
            if (sscanf(line, "process %d %d %d", &p, &im, &cpu) != 3 || p != nprocs || im < 0 || im >= nimages ||
                cpu < 0 || cpu >= vcpus || images[im].nregions == 0)
                bad(n, "expected 'process P IMAGE CPU' with P the next process, of an image with a region");
            proc_image[p] = im;
            proc_cpu[p] = cpu;
            nprocs++;
        } else if (strcmp(kw, "step") == 0) {
            struct step st = {0};
            char rest[3][32] = {{0}};
            int k = sscanf(line, "step %d %15s %31s %31s %31s", &st.cpu, st.kind, rest[0], rest[1], rest[2]);
            if (k < 3 || st.cpu < 0 || st.cpu >= vcpus || nsteps >= MAXS)
                bad(n, "expected 'step CPU KIND [ARGS] PHASE'");
            int args = k - 3; /* the last word is the phase */
            snprintf(st.phase, sizeof st.phase, "%s", rest[args]);
            if (args >= 1)
                st.a = atoi(rest[0]);
            if (args >= 2)
                st.b = atoi(rest[1]);
            int want = strcmp(st.kind, "kthread") == 0 ? 0 : strcmp(st.kind, "touch") == 0 ? 2 : 1;
            if (strcmp(st.kind, "run") && strcmp(st.kind, "kthread") && strcmp(st.kind, "touch") &&
                strcmp(st.kind, "exit") && strcmp(st.kind, "signal") && strcmp(st.kind, "wait"))
                bad(n, "unknown step (the driver runs run, kthread, touch, exit, signal, wait)");
            if (args != want)
                bad(n, "wrong number of arguments for the step");
            if (strcmp(st.kind, "signal") && strcmp(st.kind, "wait") && strcmp(st.kind, "kthread") &&
                (st.a < 0 || st.a >= nprocs))
                bad(n, "unknown process (the driver runs the initial processes only)");
            steps[nsteps++] = st;
        } else {
            bad(n, "unknown line");
        }
    }
    fclose(f);
    if (vcpus == 0 || nprocs == 0)
        bad(n, "no vcpus or no process");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        dprintf(2, "usage: pvscen FILE (the line format of `pvmmu validate --scenario F --driver-lines`)\n");
        return 1;
    }
    parse(argv[1]);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < vcpus + 1) {
        dprintf(2, "pvscen: the scenario has %d vCPUs and the driver needs one more; %ld online\n", vcpus, online);
        return 1;
    }
    mark_fd = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
    if (mark_fd < 0)
        dprintf(2, "pvscen: no trace_marker (%s): phases unmarked\n", strerror(errno));
    prctl(PR_SET_NAME, "pvscen");
    pin(0, vcpus);
    slots = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED)
        die("mmap control page");
    memset(slots, 0, PAGE);
    for (int c = 0; c < MAXP; c++)
        oncpu[c] = -1;

    /* setup: the processes, each built on its vCPU, then parked blocked on the driver's vCPU */
    for (int p = 0; p < nprocs; p++) {
        slots[p].ack = 1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            process_main(p);
        pids[p] = pid;
        while (slots[p].ack != 0)
            sleep_ms(1);
        wait_asleep(p);
    }
    /* each scenario vCPU runs the driver once, so that none keeps a scenario process's mm lazily from setup */
    for (int c = 0; c < vcpus; c++) {
        pin(0, c);
        sched_yield();
        pin(0, vcpus);
    }
    sleep_ms(50);

    /* the programs: the lowest vCPU whose next step can go, one step at a time */
    int pc[MAXP] = {0}, flags[64] = {0}, first[MAXP], last[MAXP];
    for (int c = 0; c < vcpus; c++) {
        first[c] = -1;
        last[c] = -1;
    }
    int order[MAXS], len[MAXP] = {0};
    (void)order;
    for (int i = 0; i < nsteps; i++) {
        if (first[steps[i].cpu] < 0)
            first[steps[i].cpu] = i;
        last[steps[i].cpu] = i;
        len[steps[i].cpu]++;
    }
    for (;;) {
        int c, moved = 0, left = 0;
        for (c = 0; c < vcpus; c++) {
            if (pc[c] >= len[c])
                continue;
            left = 1;
            /* the pc[c]-th step of vCPU c, in file order */
            int i, k = -1;
            for (i = first[c]; i <= last[c]; i++)
                if (steps[i].cpu == c && ++k == pc[c])
                    break;
            const struct step *st = &steps[i];
            if (strcmp(st->kind, "wait") == 0 && !flags[st->a & 63])
                continue;
            if (strcmp(st->kind, "signal") == 0)
                flags[st->a & 63] = 1;
            run_step(st, -(i + 1));
            pc[c]++;
            moved = 1;
            break;
        }
        if (!left)
            break;
        if (!moved) {
            dprintf(2, "pvscen: every vCPU left waits for a flag no step set\n");
            return 1;
        }
    }

    /* the processes left: ended outside every window */
    for (int p = 0; p < nprocs; p++)
        if (pids[p] > 0) {
            command(p, CMD_EXIT, 0);
            waitpid(pids[p], NULL, 0);
        }
    printf("PVSCEN %s done\n", name);
    return 0;
}
