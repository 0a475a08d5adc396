using PvMmu.Events;
using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Platforms;

/// <summary>
/// The native platform: the same workload on bare hardware (native pv_ops), so that Xen's overhead is the difference
/// of two modeled runs. Its counts are held to what the native code does, derived here from the images.
/// </summary>
public sealed class NativePlatformTests
{
    /// <summary>The events only a hypervisor (or Xen's event channels) makes: none of them on bare hardware.</summary>
    private static readonly EventKind[] XenOnly =
    [
        EventKind.Hypercall, EventKind.Continuation, EventKind.MulticallEntry, EventKind.MmuUpdateRequest, EventKind.MmuExtOp,
        EventKind.UpdateVaMapping, EventKind.TableValidated, EventKind.EntriesValidated, EventKind.TableDevalidated,
        EventKind.EntriesDevalidated, EventKind.PtwrEmulation, EventKind.FaultInjected, EventKind.TypeChangeFlush,
        EventKind.XenInitiatedFlush, EventKind.ModeSwitch, EventKind.HypercallError, EventKind.IpiSent, EventKind.IpiHandled,
        EventKind.McFlushIssued, EventKind.McSingleton, EventKind.McMulticall, EventKind.McEntryIssued, EventKind.DirectHypercall,
    ];

    private static RunResult Run(string workload, Platform platform, int vcpus = 1, ulong seed = 1, bool check = false, string strategy = "Linux61") =>
        WorkloadRunner.Run(WorkloadCatalog.Build(workload, vcpus, 24, seed), ExitStrategies.Find(strategy)!, seed, XenVersion.Current, checkEveryMove: check, platform: platform);

    private static long InPhase(RunResult r, string phase, EventKind e) => r.Events.InPhase(r.Events.PhaseIndex(phase), e);

    private static long Total(RunResult r, EventKind e)
    {
        long n = 0;
        for (var p = 0; p < r.Phases.Count; p++)
        {
            n += r.Events.InPhase(p, e);
        }

        return n;
    }

    public static TheoryData<string, int> WorkloadsAndVcpus()
    {
        var d = new TheoryData<string, int>();
        foreach (var w in WorkloadCatalog.Names)
        {
            for (var v = w == "lazy-exit" ? 2 : 1; v <= 3; v++)
            {
                d.Add(w, v);
            }
        }

        return d;
    }

    /// <summary>
    /// Every built-in workload on bare hardware, the guest's invariants checked after every move on a few seeds: no
    /// hypercall, multicall, trap, bounce, validation or event-channel IPI, no xen:* tracepoint, no oops or WARN.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(WorkloadsAndVcpus))]
    public void ANativeRunNeverReachesAHypervisorAndKeepsTheGuestsInvariants(string workload, int vcpus)
    {
        for (ulong seed = 0; seed < 4; seed++)
        {
            var r = Run(workload, Platform.Native, vcpus, seed, check: true);
            var label = $"{workload} {vcpus} vCPUs seed {seed}";
            Assert.Equal("native", r.Strategy);
            Assert.True(r.GuestViolations.Count == 0, label + ": " + string.Join("; ", r.GuestViolations));
            Assert.True(r.Oopses.Count == 0 && r.WarningList.Count == 0, label);
            foreach (var e in XenOnly)
            {
                Assert.True(Total(r, e) == 0, $"{label}: {e} = {Total(r, e)}");
            }

            foreach (var e in EventKinds.Tracepoints)
            {
                Assert.True(Total(r, e) == 0, $"{label}: tracepoint {e} = {Total(r, e)}");
            }
        }
    }

    /// <summary>The distinct page-table pages (PUD, PMD and PTE pages) that map an image's pages, from its addresses.</summary>
    private static (int Puds, int Pmds, int Ptes) TablesOf(ProcessImage image)
    {
        var pages = new List<ulong>();
        foreach (var r in image.Regions)
        {
            for (var i = 0; i < r.Pages; i++)
            {
                pages.Add(r.Start + ((ulong)i << 12));
            }
        }

        for (var i = 1; i <= image.StackPages; i++)
        {
            pages.Add(ProcessImage.StackTop - ((ulong)i << 12));
        }

        // A PUD page per pgd slot (512 GiB), a PMD page per PUD slot (1 GiB), a PTE page per PMD slot (2 MiB).
        return (pages.Select(va => va >> 39).Distinct().Count(), pages.Select(va => va >> 30).Distinct().Count(), pages.Select(va => va >> 21).Distinct().Count());
    }

    /// <summary>
    /// lat_proc's fork on bare hardware, every write a plain store (native_set_pte / _pmd / _pud / _p4d, the locked
    /// write-protect of a parent PTE): fork copies the one kernel pgd slot (the direct map; no user pgd without PTI),
    /// links each new table into its parent (one store per PUD, PMD and PTE page), write-protects each of the
    /// parent's 28 writable PTEs (its text's 116 are read-only) and writes the child's copy of all 144; the child's
    /// exit clears each PTE and, in
    /// free_pgtables, each table's entry in its parent. Nothing else writes a table.
    /// </summary>
    [Fact]
    public void NativePteStoresAreExactlyTheWritesForkAndExitMake()
    {
        var image = ProgramImages.LatProc;
        var (puds, pmds, ptes) = TablesOf(image);
        var pages = image.TotalPages;
        Assert.Equal(144, pages);

        // copy_present_pte write-protects only a writable COW PTE: the text regions' PTEs are copied as they are.
        var writable = image.StackPages + image.Regions.Where(g => g.Writable).Sum(g => g.Pages);
        Assert.Equal(12 + 8 + 8, writable);
        var r = Run("lat-proc-fork", Platform.Native);
        Assert.Equal(1 + puds + pmds + ptes + pages + writable, InPhase(r, "fork", EventKind.NativePteStore));
        Assert.Equal(pages + puds + pmds + ptes, InPhase(r, "exit", EventKind.NativePteStore));
        Assert.Equal(0, InPhase(r, "switch", EventKind.NativePteStore));
    }

    /// <summary>
    /// The platform changes how the page tables are written, not what the workload does: demand faults, context
    /// switches, forks, execs and exits are the same in every phase on bare hardware as on Xen.
    /// </summary>
    [Theory]
    [InlineData("lat-proc-fork", 1)]
    [InlineData("lat-proc-exec", 1)]
    [InlineData("lat-proc-sh", 1)]
    [InlineData("kbuild", 1)]
    [InlineData("kbuild", 2)]
    [InlineData("fork-exec-exit", 2)]
    public void TheWorkloadsOwnWorkIsTheSameOnBothPlatforms(string workload, int vcpus)
    {
        var native = Run(workload, Platform.Native, vcpus);
        var xen = Run(workload, Platform.XenPv, vcpus);
        Assert.Equal(xen.Phases, native.Phases);
        foreach (var e in new[] { EventKind.PageFault, EventKind.ContextSwitch, EventKind.Fork, EventKind.Exec, EventKind.Exit, EventKind.UserCompute, EventKind.KernelWork })
        {
            for (var p = 0; p < xen.Phases.Count; p++)
            {
                Assert.True(xen.Events.InPhase(p, e) == native.Events.InPhase(p, e), $"{e} in {xen.Phases[p]}: xen {xen.Events.InPhase(p, e)}, native {native.Events.InPhase(p, e)}");
            }
        }

        Assert.True(Total(native, EventKind.PageFault) > 0 || workload == "lat-proc-fork");
    }

    /// <summary>
    /// Bare hardware is faster than Xen on lmbench's lat_proc, under the built-in table and the priors, each total
    /// priced from the one table both platforms share; and the difference is made of the events Xen adds.
    /// </summary>
    [Theory]
    [InlineData("lat-proc-fork")]
    [InlineData("lat-proc-exec")]
    [InlineData("lat-proc-sh")]
    public void NativeIsFasterThanXenOnLatProc(string workload)
    {
        foreach (var table in new[] { CostTable.Default, CostTable.Priors })
        {
            var c = Comparison.Run(WorkloadCatalog.Build(workload, 1, 24, 1), [ExitStrategies.Find("Linux61")!], table, 1, XenVersion.Current, [Platform.Native, Platform.XenPv]);
            Assert.Equal(2, c.Runs.Count);
            Assert.Equal([Platform.Native, Platform.XenPv], c.Platforms);
            Assert.True(c.TotalMicros(0) < c.TotalMicros(1), $"{table.Name}: native {c.TotalMicros(0)} µs, xen {c.TotalMicros(1)} µs");

            // The Xen-only events' time is part of the difference (a native run has none of it).
            var xenOnly = XenOnly.Where(e => EventKinds.Priced.Contains(e)).Sum(e => c.Times[1].EventMicros(e, Comparison.FirstPhase, c.Runs[1].Phases.Count - 1));
            Assert.True(xenOnly > 0);
            Assert.Equal(0, XenOnly.Where(e => EventKinds.Priced.Contains(e)).Sum(e => c.Times[0].EventMicros(e, Comparison.FirstPhase, c.Runs[0].Phases.Count - 1)));
        }
    }

    /// <summary>
    /// A native boot types nothing: the CPUs run on swapper_pg_dir with no page-table type or pin, the direct map is
    /// writable and global, and the bare machine's operations are refused on a machine with a hypervisor.
    /// </summary>
    [Fact]
    public void ANativeBootTypesNoFrameAndTheBareOperationsNeedBareHardware()
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024, Platform = Platform.Native });
        Assert.True(k.Native);
        for (var v = 0; v < 2; v++)
        {
            Assert.Equal(k.SwapperPgd, k.Xen.VcpuGuestTable(v));
        }

        Assert.Equal(0u, k.Xen.Frame(k.SwapperPgd).TypeCount);
        for (var i = 0; i < k.FrameCount; i++)
        {
            Assert.False(k.PagePinned[i]);
            var pte = k.DirectMapPte(k.FirstFrame + (uint)i);
            Assert.Equal(PvMmu.Xen.Abi.PageFlags.Rw | PvMmu.Xen.Abi.PageFlags.Global, pte & (PvMmu.Xen.Abi.PageFlags.Rw | PvMmu.Xen.Abi.PageFlags.Global));
        }

        var mm = MmOps.CreateMm(k, 0);
        Assert.Equal(0u, k.UserPgd(k.Mms.Pgd[mm]));
        MmOps.SwitchMm(k, 0, mm);
        Assert.Equal(k.Mms.Pgd[mm], k.Xen.VcpuGuestTable(0));
        Assert.Equal(0u, k.Xen.Frame(k.Mms.Pgd[mm]).TypeCount);

        var xen = Kernel.Boot(new KernelConfig { Vcpus = 1, Frames = 1024 });
        Assert.False(xen.Native);
        Assert.Throws<InvalidOperationException>(() => xen.Xen.BareLoadCr3(0, xen.SwapperPgd));
        Assert.Throws<InvalidOperationException>(() => xen.Xen.BareFlushLocal(0));
    }

    /// <summary>
    /// calibrate's second definition of Xen's overhead, T(xen-pv) − T(native): positive on each lat_proc workload, and
    /// apart from the PV-only events' time (the first definition) by exactly the events both platforms have, priced
    /// the same: what the native run does instead (its stores, CR3 loads and flushes) less what Xen does of them.
    /// </summary>
    [Fact]
    public void TheNativeBaselineOverheadIsXenMinusNativeAndDiffersFromPvOnlyByTheSharedEvents()
    {
        var table = CostTable.Default;
        var rows = NativeBaseline.Rows(table);
        Assert.Equal(["lat-proc-fork", "lat-proc-exec", "lat-proc-sh"], rows.Select(r => r.Workload));
        Assert.Equal([88.0, 238.0, 800.0], rows.Select(r => r.PublishedMicros));
        foreach (var row in rows)
        {
            Assert.True(row.XenMinusNativeMicros > 0, row.ToString());
            var xen = Run(row.Workload, Platform.XenPv, strategy: Calibration.BeforeStrategy);
            var native = Run(row.Workload, Platform.Native, strategy: Calibration.BeforeStrategy);
            double shared = 0;
            foreach (var e in EventKinds.Priced.Except(HeldOutChecks.PvOnly))
            {
                long dx = 0, dn = 0;
                for (var p = Comparison.FirstPhase; p < xen.Phases.Count; p++)
                {
                    dx += xen.Events.InPhase(p, e);
                    dn += native.Events.InPhase(p, e);
                }

                shared += (dx - dn) * table[e] / 1000;
            }

            Assert.Equal(row.PvOnlyMicros + shared, row.XenMinusNativeMicros, 6);
        }
    }

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "PvMmu.slnx")))
        {
            d = d.Parent;
        }

        return d?.FullName ?? throw new InvalidOperationException("PvMmu.slnx not found above the test's directory");
    }

    public static TheoryData<string> ScenarioFiles()
    {
        var d = new TheoryData<string>();
        foreach (var dir in new[] { "workloads", "check" })
        {
            foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot(), "examples", dir), "*.yaml").Order(StringComparer.Ordinal))
            {
                d.Add(Path.Combine(dir, Path.GetFileName(f)));
            }
        }

        return d;
    }

    /// <summary>
    /// The example scenarios (munmap, mprotect, copy-on-write, file mappings, threads, lazy borrowers) on bare
    /// hardware, checked after every move: the native flush, protection and unmap paths reach no hypervisor and keep
    /// the guest's invariants; the work they do (faults, switches, forks, execs, exits) is the Xen run's, but for the
    /// check scenarios' races, where only the operations are.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public void TheExampleScenariosRunNativelyWithTheSameWork(string file)
    {
        var spec = WorkloadFile.Load(Path.Combine(RepoRoot(), "examples", file));
        for (ulong seed = 0; seed < 3; seed++)
        {
            var native = WorkloadRunner.Run(spec, ExitStrategies.Find("Linux61")!, seed, XenVersion.Current, checkEveryMove: true, platform: Platform.Native);
            var xen = WorkloadRunner.Run(spec, ExitStrategies.Find("Linux61")!, seed, XenVersion.Current);
            var label = $"{file} seed {seed}";
            Assert.True(native.GuestViolations.Count == 0, label + ": " + string.Join("; ", native.GuestViolations));
            Assert.True(native.Oopses.Count == 0 && native.WarningList.Count == 0, label);
            foreach (var e in XenOnly)
            {
                Assert.True(Total(native, e) == 0, $"{label}: {e} = {Total(native, e)}");
            }

            // A check scenario races its vCPUs: the platforms' operations take different numbers of moves (Xen's exit
            // has its IPI steps), so one seed interleaves them differently and the switches and faults around the races
            // may differ; the operations themselves may not.
            var same = file.StartsWith("workloads", StringComparison.Ordinal)
                ? new[] { EventKind.PageFault, EventKind.ContextSwitch, EventKind.Fork, EventKind.Exec, EventKind.Exit }
                : [EventKind.Fork, EventKind.Exec, EventKind.Exit];
            foreach (var e in same)
            {
                Assert.True(Total(xen, e) == Total(native, e), $"{label}: {e}: xen {Total(xen, e)}, native {Total(native, e)}");
            }
        }
    }

    /// <summary>
    /// native_flush_tlb_multi's choice of CPUs (arch/x86/mm/tlb.c, 6.1): with no table freed, on_each_cpu_cond_mask
    /// skips a CPU in lazy TLB mode (tlb_is_not_lazy); with tables freed, on_each_cpu_mask reaches it too, and its
    /// flush_tlb_func switches it to init_mm. This CPU flushes directly: INVLPG per page up to the ceiling, else a
    /// full flush.
    /// </summary>
    [Fact]
    public void NativeFlushesReachTheCpusLinuxPicks()
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 3, Frames = 1024, Platform = Platform.Native });
        var mm = MmOps.CreateMm(k, 0);
        for (var cpu = 0; cpu < 3; cpu++)
        {
            MmOps.SwitchMm(k, cpu, mm);
        }

        MmOps.EnterLazyTlb(k, 1, leavesCpumask: false);
        long Count(EventKind e) => k.Events.Total(e);

        // One page, no table freed: this CPU's INVLPG, one IPI to CPU 2 only (CPU 1 is lazy).
        var (invlpg, remote, targets, cr3) = (Count(EventKind.LocalInvlpg), Count(EventKind.RemoteFlush), Count(EventKind.RemoteFlushTargets), Count(EventKind.Cr3Load));
        Munmap.FlushTlbRange(k, 0, mm, 0x40_0000, 0x40_1000);
        Assert.Equal(invlpg + 1, Count(EventKind.LocalInvlpg));
        Assert.Equal(remote + 1, Count(EventKind.RemoteFlush));
        Assert.Equal(targets + 1, Count(EventKind.RemoteFlushTargets));
        Assert.Equal(mm, k.LoadedMm[1]);

        // More pages than the ceiling: a full local flush.
        var full = Count(EventKind.LocalFlush);
        Munmap.FlushTlbRange(k, 0, mm, 0x40_0000, 0x40_0000 + ((ulong)(Munmap.SinglePageFlushCeiling + 1) << 12));
        Assert.Equal(full + 1, Count(EventKind.LocalFlush));

        // Tables freed: both others get the IPI, and the lazy one leaves for init_mm (a CR3 load, out of the mask).
        targets = Count(EventKind.RemoteFlushTargets);
        Munmap.FlushTlbRange(k, 0, mm, 0x40_0000, 0x40_1000, freedTables: true);
        Assert.Equal(targets + 2, Count(EventKind.RemoteFlushTargets));
        Assert.Equal(0, k.LoadedMm[1]);
        Assert.Equal(k.SwapperPgd, k.Xen.VcpuGuestTable(1));
        Assert.Equal(0UL, k.Mms.CpuMask[mm] & 2);
        Assert.Equal(cr3 + 1, Count(EventKind.Cr3Load));
    }
}
