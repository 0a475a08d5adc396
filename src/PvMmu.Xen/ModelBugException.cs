namespace PvMmu.Xen;

/// <summary>
/// An internal inconsistency of the model: where Xen would BUG() or where the model's own bookkeeping broke.
/// Nothing a guest sends may cause one; the property tests look for exactly that.
/// </summary>
public sealed class ModelBugException : Exception
{
    public ModelBugException(string message)
        : base(message)
    {
    }

    public ModelBugException()
    {
    }

    public ModelBugException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
