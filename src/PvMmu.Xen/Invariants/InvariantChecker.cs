using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Invariants;

/// <summary>
/// Recounts every reference from scratch and checks the invariants I1–I8 (docs/xen-rules.md#invariants) against the
/// model's incremental counts. Meant to run between operations: no hypercall may leave them broken, whatever the guest
/// sent. The buffers are reused, so a check allocates only for the violations it reports.
/// <para>
/// <see cref="Check"/> visits only the present entries of each table, from the slot list the page-table pool
/// caches per page (computed once per version of a page, dropped when the page is written, shared with snapshots);
/// <see cref="CheckFull"/> scans all 512 slots of every table. Both apply the same per-entry rules in the same order,
/// so they report the same violations, in the same order, for every state.
/// </para>
/// </summary>
public sealed class InvariantChecker : IInvariantCheck
{
    /// <summary>
    /// Whether I8 also covers translations walked through a table frame that has since become writable. Xen 4.8
    /// lacks XSA-286's flush after an upper-level update, so there such stale translations are reachable (that is
    /// the XSA-286 hazard); the writable-translation half of I8 holds in both.
    /// </summary>
    public bool CheckStalePaths { get; init; } = true;

    private uint[] _general = [];
    private uint[] _type = [];
    private int[] _linearHeld = [];
    private int[] _linearUses = [];

    /// <summary>Checks <paramref name="h"/> and returns the violations found (empty when all hold).</summary>
    public List<string> Check(Hypervisor h) => Recount(h, full: false);

    /// <summary>The same, scanning every slot of every table instead of the cached present slots (the reference).</summary>
    public List<string> CheckFull(Hypervisor h) => Recount(h, full: true);

    private List<string> Recount(Hypervisor h, bool full)
    {
        var errors = new List<string>();
        var f = h.Frames;
        var n = f.Count;
        if (_general.Length != n)
        {
            _general = new uint[n];
            _type = new uint[n];
            _linearHeld = new int[n];
            _linearUses = new int[n];
        }

        Array.Clear(_general);
        Array.Clear(_type);
        Array.Clear(_linearHeld);
        Array.Clear(_linearUses);

        for (uint m = 0; m < n; m++)
        {
            if (f.Has(m, FrameFlags.Allocated))
            {
                _general[m]++;
            }

            if (f.Has(m, FrameFlags.Pinned))
            {
                _general[m]++;
                _type[m]++;
            }
        }

        var v = h.Vcpus;
        for (var i = 0; i < v.Count; i++)
        {
            if (CompatL4.Is(h, v.GuestTable[i]))
            {
                // setup_compat_l4 wrote the type count 1 itself; guest_table and guest_table_user take no reference.
                _type[v.GuestTable[i]]++;
            }
            else
            {
                Hold(v.GuestTable[i]);
                Hold(v.GuestTableUser[i]);
            }

            if (v.OldGuestTable[i] != 0)
            {
                errors.Add($"vCPU {i}: old_guest_table {v.OldGuestTable[i]} left set between operations");
            }
        }

        for (uint m = 0; m < n; m++)
        {
            if (!f.Has(m, FrameFlags.Validated) || !PageTypes.IsPageTable(f.Type[m]))
            {
                continue;
            }

            CountEntries(h, m, errors, full);
        }

        var linearPtLimits = h.Rules.LinearPtLimits;
        for (uint m = 0; m < n; m++)
        {
            var free = f.Has(m, FrameFlags.Free);
            if (f.GeneralCount[m] != _general[m])
            {
                errors.Add($"I1/I4: frame {m} general count {f.GeneralCount[m]}, holders {_general[m]}");
            }

            if (f.TypeCount[m] != _type[m])
            {
                errors.Add($"I4: frame {m} ({f.Type[m]}) type count {f.TypeCount[m]}, holders {_type[m]}");
            }

            if ((f.GeneralCount[m] == 0) != free)
            {
                errors.Add($"I6: frame {m} general count {f.GeneralCount[m]} but {(free ? "free" : "not free")}");
            }

            if (f.Has(m, FrameFlags.Pinned) && (f.TypeCount[m] == 0 || !f.Has(m, FrameFlags.Validated)))
            {
                errors.Add($"I5: frame {m} pinned but type count {f.TypeCount[m]}, validated {f.Has(m, FrameFlags.Validated)}");
            }

            if (PageTypes.IsPageTable(f.Type[m]) && f.TypeCount[m] > 0 && !f.Has(m, FrameFlags.Validated))
            {
                errors.Add($"frame {m} is an {f.Type[m]} with type count {f.TypeCount[m]} but not validated");
            }

            if (f.Has(m, FrameFlags.Partial))
            {
                errors.Add($"frame {m} left PGT_partial");
            }

            if (linearPtLimits)
            {
                if (_linearHeld[m] > 0 && _linearUses[m] > 0)
                {
                    errors.Add($"I7: frame {m} both holds {_linearHeld[m]} linear entries and is the target of {_linearUses[m]}");
                }

                if (f.LinearPtCount[m] != _linearHeld[m] - _linearUses[m])
                {
                    errors.Add($"I7: frame {m} linear_pt_count {f.LinearPtCount[m]}, recount {_linearHeld[m] - _linearUses[m]}");
                }
            }
        }

        CheckTlbs(h, errors, CheckStalePaths);
        return errors;

        void Hold(uint l4)
        {
            if (l4 != 0)
            {
                _general[l4]++;
                _type[l4]++;
            }
        }
    }

    private void CountEntries(Hypervisor h, uint table, List<string> errors, bool full)
    {
        var t = h.Frames.TableIndex[table];
        if (t < 0)
        {
            return;
        }

        var entries = h.Tables.View(t);
        var level = (int)h.Frames.Type[table];
        var l1Disallow = PageTableEntries.L1DisallowMask(h);
        if (full)
        {
            for (var s = 0; s < PageTablePool.EntriesPerTable; s++)
            {
                if (entries[s] != 0)
                {
                    CountEntry(h, table, level, l1Disallow, s, entries[s], errors);
                }
            }

            return;
        }

        foreach (var s in h.Tables.PresentSlots(t))
        {
            CountEntry(h, table, level, l1Disallow, s, entries[s], errors);
        }
    }

    private void CountEntry(Hypervisor h, uint table, int level, ulong l1Disallow, int s, ulong e, List<string> errors)
    {
        if ((e & PageFlags.Present) == 0 || (level == 4 && !PageTableEntries.IsGuestL4Slot(s)))
        {
            return;
        }

        var f = h.Frames;
        var target = PageFlags.Mfn(e);
        if (level == 1)
        {
            if ((e & l1Disallow) != 0)
            {
                errors.Add($"I3: L1 {table}[{s}] has disallowed flags {PageFlags.Format(e)}");
            }

            if (!f.IsValid(target))
            {
                errors.Add($"I3: L1 {table}[{s}] maps a frame that is not RAM");
                return;
            }

            _general[target]++;
            if ((e & PageFlags.Rw) != 0)
            {
                _type[target]++;
                if (f.Type[target] != PageType.Writable)
                {
                    errors.Add($"I2: L1 {table}[{s}] maps frame {target} writable while it is {f.Type[target]}");
                }
            }

            return;
        }

        if (target == table)
        {
            return;
        }

        if ((e & PageTableEntries.UpperDisallowMask) != 0)
        {
            errors.Add($"I3: L{level} {table}[{s}] has disallowed flags {PageFlags.Format(e)}");
        }

        if (!f.IsValid(target))
        {
            errors.Add($"I3: L{level} {table}[{s}] points at a frame that is not RAM");
            return;
        }

        _general[target]++;
        _type[target]++;
        var tt = (int)f.Type[target];
        var linear = tt == level;
        if ((tt != level - 1 && !linear) || !f.Has(target, FrameFlags.Validated))
        {
            errors.Add($"I3: L{level} {table}[{s}] points at frame {target} typed {f.Type[target]}, validated {f.Has(target, FrameFlags.Validated)}");
        }

        if (linear)
        {
            if ((e & PageFlags.Rw) != 0)
            {
                errors.Add($"I3: linear L{level} {table}[{s}] is writable");
            }

            _linearHeld[table]++;
            _linearUses[target]++;
        }
    }

    private static void CheckTlbs(Hypervisor h, List<string> errors, bool stalePaths)
    {
        var f = h.Frames;
        var tlb = h.Tlb;
        for (var i = 0; i < tlb.Key.Length; i++)
        {
            if (tlb.Key[i] == 0)
            {
                continue;
            }

            var cpu = i / tlb.Capacity;
            var va = (tlb.Key[i] - 1) << 12;
            var m = tlb.Mfn[i];
            if ((tlb.Bits[i] & TlbBits.Writable) != 0 && f.IsValid(m)
                && (PageTypes.IsPageTable(f.Type[m]) || f.Type[m] == PageType.SegDesc) && f.TypeCount[m] > 0)
            {
                errors.Add($"I8: vCPU {cpu} caches a writable translation of {va:x} to frame {m}, an in-use {f.Type[m]}");
            }

            // Most entries went through no retyped table: four inlined tests, and the reporting calls only when
            // one of them holds.
            if (stalePaths && (IsStaleTableFrame(f, tlb.L1[i]) || IsStaleTableFrame(f, tlb.L2[i])
                || IsStaleTableFrame(f, tlb.L3[i]) || IsStaleTableFrame(f, tlb.L4[i])))
            {
                CheckPathFrame(tlb.L1[i]);
                CheckPathFrame(tlb.L2[i]);
                CheckPathFrame(tlb.L3[i]);
                CheckPathFrame(tlb.L4[i]);
            }

            void CheckPathFrame(uint p)
            {
                if (IsStaleTableFrame(f, p))
                {
                    errors.Add($"I8: vCPU {cpu} caches {va:x} through frame {p}, since retyped {f.Type[p]}");
                }
            }
        }

        for (var i = 0; i < tlb.LinearKey.Length && stalePaths; i++)
        {
            if (tlb.LinearKey[i] == 0)
            {
                continue;
            }

            var p = tlb.LinearFrame[i];
            if (IsStaleTableFrame(f, p))
            {
                errors.Add($"I8: vCPU {i / tlb.LinearCapacity} caches a linear page-table mapping of frame {p}, since retyped {f.Type[p]}");
            }
        }

    }

    /// <summary>
    /// Whether a translation cached through table frame <paramref name="p"/> is dangerous. It is harmless while
    /// the frame is a page table (even demoted: its contents are still checked entries), typeless (a failed
    /// revalidation: nothing can write it until it is typed writable) or free (flushed before reallocation, §5.4).
    /// Once it is a writable, shared or descriptor page the guest can write arbitrary "entries" into it, so every
    /// such translation must have been flushed by the type change (§5.3).
    /// </summary>
    private static bool IsStaleTableFrame(FrameTable f, uint p) =>
        !f.Has(p, FrameFlags.Free) && f.Type[p] is PageType.Writable or PageType.Shared or PageType.SegDesc;
}
