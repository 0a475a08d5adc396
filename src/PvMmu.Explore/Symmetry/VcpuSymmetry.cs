using PvMmu.Linux.Sched;
using PvMmu.Xen.Symmetry;

namespace PvMmu.Explore.Symmetry;

/// <summary>
/// The symmetry group of a scenario under <c>--symmetry on</c>: every renaming of vCPUs that permutes each class of
/// interchangeable vCPUs (<see cref="Machine.InterchangeableClasses"/>) within itself and fixes every other vCPU. A
/// state's canonical fingerprint is the least fingerprint over the group's images of it (Ip and Dill's scalarsets,
/// by brute force: at 4 vCPUs with one class of 3, six renamings).
/// </summary>
public sealed class VcpuSymmetry
{
    public VcpuSymmetry(int vcpus, int[][] classes)
    {
        Classes = classes;
        var all = new List<VcpuPermutation>();
        var to = new int[vcpus];
        for (var i = 0; i < vcpus; i++)
        {
            to[i] = i;
        }

        Expand(0, to, all);
        Permutations = all;
        NonIdentity = [.. all.Where(p => !p.IsIdentity)];
    }

    /// <summary>The classes of interchangeable vCPUs, each of two or more, in id order.</summary>
    public int[][] Classes { get; }

    /// <summary>Every renaming of the group, the identity first.</summary>
    public IReadOnlyList<VcpuPermutation> Permutations { get; }

    /// <summary>The group without its identity: the renamings a canonical fingerprint tries.</summary>
    public IReadOnlyList<VcpuPermutation> NonIdentity { get; }

    /// <summary>
    /// The renamings of the group that sort each class by <paramref name="signature"/> (a hash of a vCPU's own state
    /// that a renaming carries along): the member of least signature to the class's lowest id, and so on; members of
    /// equal signature in every order. The set of states these renamings make of s is the same for every state of s's
    /// orbit, so the least fingerprint over it is canonical, and it is usually one renaming instead of the group's n!.
    /// </summary>
    public List<VcpuPermutation> Sorting(Func<int, ulong> signature, int vcpus)
    {
        // Per class, the members by signature (id breaking ties), and where each run of equal signatures starts.
        var to = new int[vcpus];
        for (var i = 0; i < vcpus; i++)
        {
            to[i] = i;
        }

        // Each signature once: it hashes the vCPU's whole TLB, and the sort and the tie scan below read it again.
        var sig = new ulong[vcpus];
        foreach (var members in Classes)
        {
            foreach (var v in members)
            {
                sig[v] = signature(v);
            }
        }

        var ties = new List<int[]>();
        foreach (var members in Classes)
        {
            var sorted = members.OrderBy(v => sig[v]).ThenBy(v => v).ToArray();
            for (var k = 0; k < sorted.Length; k++)
            {
                to[sorted[k]] = members[k];
            }

            for (var k = 0; k < sorted.Length;)
            {
                var end = k + 1;
                while (end < sorted.Length && sig[sorted[end]] == sig[sorted[k]])
                {
                    end++;
                }

                if (end - k > 1)
                {
                    // Which members tie (old ids), and the slots (new ids) they are sorted into.
                    ties.Add([.. sorted[k..end], .. members[k..end]]);
                }

                k = end;
            }
        }

        var all = new List<VcpuPermutation>();
        ExpandTies(0, ties, to, all);
        return all;
    }

    /// <summary>Every assignment of each tie's members to its slots, on top of <paramref name="to"/>.</summary>
    private static void ExpandTies(int k, List<int[]> ties, int[] to, List<VcpuPermutation> into)
    {
        if (k == ties.Count)
        {
            into.Add(new VcpuPermutation((int[])to.Clone()));
            return;
        }

        var tie = ties[k];
        var n = tie.Length / 2;
        foreach (var order in Orders(n))
        {
            for (var i = 0; i < n; i++)
            {
                to[tie[i]] = tie[n + order[i]];
            }

            ExpandTies(k + 1, ties, to, into);
        }
    }

    /// <summary>The classes as text, e.g. "{v1,v2,v3}", or "none".</summary>
    public string Describe() => Classes.Length == 0 ? "none" : string.Join(" ", Classes.Select(c => "{" + string.Join(",", c.Select(v => $"v{v}")) + "}"));

    /// <summary>Every permutation of class <paramref name="k"/> onward, composed with the choices already in <paramref name="to"/>.</summary>
    private void Expand(int k, int[] to, List<VcpuPermutation> into)
    {
        if (k == Classes.Length)
        {
            into.Add(new VcpuPermutation((int[])to.Clone()));
            return;
        }

        var members = Classes[k];
        foreach (var order in Orders(members.Length))
        {
            for (var i = 0; i < members.Length; i++)
            {
                to[members[i]] = members[order[i]];
            }

            Expand(k + 1, to, into);
        }

        foreach (var m in members)
        {
            to[m] = m;
        }
    }

    /// <summary>Every permutation of 0..n−1, the identity first (lexicographic order).</summary>
    private static IEnumerable<int[]> Orders(int n)
    {
        var a = new int[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = i;
        }

        while (true)
        {
            yield return (int[])a.Clone();
            var j = n - 2;
            while (j >= 0 && a[j] >= a[j + 1])
            {
                j--;
            }

            if (j < 0)
            {
                yield break;
            }

            var l = n - 1;
            while (a[l] <= a[j])
            {
                l--;
            }

            (a[j], a[l]) = (a[l], a[j]);
            Array.Reverse(a, j + 1, n - j - 1);
        }
    }
}
