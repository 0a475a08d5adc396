using PvMmu.Xen.Symmetry;

namespace PvMmu.Linux.Multicalls;

public sealed partial class MulticallBuffers
{
    /// <summary>
    /// Renames the CPUs of the per-CPU buffers by <paramref name="p"/>: each CPU's entries, arguments and callbacks
    /// (whose indices are relative to the CPU's own block) move to the new id, and the vCPU mask of every queued
    /// mmuext_op (MMUEXT_TLB_FLUSH_MULTI, MMUEXT_INVLPG_MULTI) is renamed.
    /// </summary>
    public void PermuteCpus(VcpuPermutation p)
    {
        p.Blocks(_entries, McBatch);
        p.Blocks(_mcidx);
        p.Blocks(_argidx);
        p.Blocks(_cbidx);
        p.Blocks(_mmu, McBatch);
        p.Blocks(_mmuUsed);
        p.Blocks(_ext, McBatch);
        p.Blocks(_extUsed);
        p.Blocks(_cbKind, McBatch);
        p.Blocks(_cbData, McBatch);
        for (var i = 0; i < _ext.Length; i++)
        {
            if (_ext[i].VcpuMask != 0)
            {
                _ext[i] = _ext[i] with { VcpuMask = p.Mask(_ext[i].VcpuMask) };
            }
        }
    }
}
