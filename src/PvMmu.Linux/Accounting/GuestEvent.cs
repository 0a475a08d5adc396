namespace PvMmu.Linux.Accounting;

/// <summary>
/// What the guest model counts for the cost model, per vCPU and per phase, beside the hypervisor's own counts: the
/// work Xen never sees (native page-table stores, the fault path, process lifecycle) and the IPIs it only carries.
/// </summary>
public enum GuestEvent
{
    /// <summary>A store or locked exchange into a page-table page that the MMU completed natively (no trap).</summary>
    NativePteStore,

    /// <summary>A demand fault on an anonymous page handled by the guest (handle_mm_fault → do_anonymous_page).</summary>
    PageFault,

    /// <summary>An IPI sent (smp_call_function_*): one event-channel notification, charged to the sender.</summary>
    IpiSent,

    /// <summary>An IPI's handler run, charged to the vCPU that takes it.</summary>
    IpiHandled,

    /// <summary>A context switch (context_switch: to a user task or to a kernel thread).</summary>
    ContextSwitch,

    /// <summary>A fork (kernel/fork.c copy_process without the page tables, priced as the native base work).</summary>
    Fork,

    /// <summary>An exec (fs/exec.c: binary loading without the page tables, priced as the native base work).</summary>
    Exec,

    /// <summary>An exit (do_exit without the mm teardown, priced as the native base work).</summary>
    Exit,
}
