namespace PvMmu.Linux;

/// <summary>A guest kernel oops: a kernel access faulted, as it would on a real kernel after a broken protocol.</summary>
public sealed class GuestOopsException : Exception
{
    public GuestOopsException(string message)
        : base(message)
    {
    }

    public GuestOopsException()
    {
    }

    public GuestOopsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
