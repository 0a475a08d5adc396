namespace PvMmu.Xen.Abi;

/// <summary>
/// Xen's error numbers (xen/include/public/errno.h). Hypercalls return them negated, as Xen does;
/// <see cref="ERestart"/> never reaches the guest: it means "continuation".
/// </summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int EILSEQ = 84;
    public const int ERestart = 85;
    public const int EEXIST = 17;
    public const int EOPNOTSUPP = 95;

    /// <summary>The symbolic name of a (negated or positive) error code, "0" for success.</summary>
    public static string Name(long rc) => rc switch
    {
        0 => "0",
        -EPERM => "-EPERM",
        -ENOENT => "-ENOENT",
        -ESRCH => "-ESRCH",
        -EINTR => "-EINTR",
        -ENOMEM => "-ENOMEM",
        -EACCES => "-EACCES",
        -EFAULT => "-EFAULT",
        -EBUSY => "-EBUSY",
        -EINVAL => "-EINVAL",
        -ERANGE => "-ERANGE",
        -ENOSYS => "-ENOSYS",
        -EILSEQ => "-EILSEQ",
        -ERestart => "-ERESTART",
        -EEXIST => "-EEXIST",
        -EOPNOTSUPP => "-EOPNOTSUPP",
        _ => rc.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Parses "0", "-EINVAL", "EINVAL" or a decimal number; false when it is none of these.</summary>
    public static bool TryParse(string text, out long rc)
    {
        var t = text.Trim();
        if (long.TryParse(t, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out rc))
        {
            return true;
        }

        var negative = t.StartsWith('-');
        var name = negative ? t[1..] : t;
        int value = name.ToUpperInvariant() switch
        {
            "EPERM" => EPERM,
            "ENOENT" => ENOENT,
            "ESRCH" => ESRCH,
            "EINTR" => EINTR,
            "ENOMEM" => ENOMEM,
            "EACCES" => EACCES,
            "EFAULT" => EFAULT,
            "EBUSY" => EBUSY,
            "EINVAL" => EINVAL,
            "ERANGE" => ERANGE,
            "ENOSYS" => ENOSYS,
            "EILSEQ" => EILSEQ,
            "ERESTART" => ERestart,
            "EEXIST" => EEXIST,
            "EOPNOTSUPP" => EOPNOTSUPP,
            _ => 0,
        };
        rc = -value;
        return value != 0;
    }
}
