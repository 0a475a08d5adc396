namespace PvMmu.Xen.Scripts.Forms;

/// <summary>The script language's statements: each keyword and the form that parses what follows it.</summary>
internal static class StatementForms
{
    public static IReadOnlyDictionary<string, IStatementForm> ByKeyword { get; } = new Dictionary<string, IStatementForm>(StringComparer.Ordinal)
    {
        ["expect"] = new ExpectForm(),
        ["init"] = new InitForm(),
        ["mmu_update"] = new MmuUpdateForm(),
        ["mmuext"] = new MmuextForm(),
        ["update_va_mapping"] = new UpdateVaMappingForm(),
        ["multicall"] = new MulticallForm(),
        ["vcpu_initialise"] = new VcpuInitialiseForm(),
        ["iret"] = new IretForm(),
        ["syscall"] = new SyscallForm(),
        ["store"] = new StoreForm(StoreForm.Kind.Store),
        ["store4"] = new StoreForm(StoreForm.Kind.Store4),
        ["xchg"] = new StoreForm(StoreForm.Kind.Xchg),
        ["load"] = new LoadForm(),
        ["decrease_reservation"] = new DecreaseReservationForm(),
        ["populate_physmap"] = new PopulatePhysmapForm(),
        ["reset-events"] = new ResetEventsForm(),
    };

    /// <summary>The error for a word that starts no statement; the operations in the order docs/scenario-format.md lists them.</summary>
    public static string Unknown(string word) =>
        $"expected an operation (mmu_update, mmuext, update_va_mapping, multicall, store, store4, xchg, load, iret, syscall, vcpu_initialise, decrease_reservation, populate_physmap, init, reset-events) or 'expect', got '{word}'";
}
