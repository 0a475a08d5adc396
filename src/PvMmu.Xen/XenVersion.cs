namespace PvMmu.Xen;

/// <summary>Which Xen's rules the model follows.</summary>
public enum XenVersion
{
    /// <summary>Current Xen (4.17 and later; read at RELEASE-4.17.0 and upstream HEAD).</summary>
    Current,

    /// <summary>Xen 4.8 (RELEASE-4.8.0), the hypervisor of the 2017 thread.</summary>
    Xen48,
}
