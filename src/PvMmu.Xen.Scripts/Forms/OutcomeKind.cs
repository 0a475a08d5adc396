namespace PvMmu.Xen.Scripts.Forms;

/// <summary>What the text after an operation's <c>-&gt;</c> is compared with (<see cref="Outcomes"/>).</summary>
internal enum OutcomeKind
{
    /// <summary>The operation has no outcome to expect (init, syscall, reset-events).</summary>
    None,

    /// <summary>A hypercall's return value: 0 or an errno name.</summary>
    Rc,

    /// <summary>A batch's return value and optionally <c>done=N</c>.</summary>
    RcDone,

    /// <summary>The first word of the output (ok, fault, emulated, a count).</summary>
    Word,

    /// <summary>The entry a load read, or <c>fault</c>.</summary>
    Entry,
}
