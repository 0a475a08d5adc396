using System.Text.RegularExpressions;
using PvMmu.Events;
using PvMmu.Xen.Scripts.Forms;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts;

/// <summary>
/// Turns one script line (or a multicall block) into a runnable statement: splits off the expected outcome and a
/// <c>vN</c> prefix, then hands the rest to the form its keyword names (<see cref="StatementForms"/>). Names are
/// checked now and resolved when the statement runs, since populate_physmap can bind a name on the way.
/// </summary>
internal sealed class StatementParser(string file, Dictionary<string, uint> names, HypervisorConfig config)
{
    private readonly ParseScope _scope = new(file, names, config);

    public ScriptStatement Parse(int line, string body, List<(int Line, string Text)> block)
    {
        try
        {
            var arrow = body.IndexOf("->", StringComparison.Ordinal);
            var opText = arrow >= 0 ? body[..arrow].Trim() : body;
            var expect = arrow >= 0 ? Expectation.Parse(body[(arrow + 2)..]) : Expectation.None;
            var words = Words(opText);
            if (words.Length == 0)
            {
                throw new FormatException("expected an operation before '->'");
            }

            var vcpu = 0;
            var m = ScriptPatterns.VcpuPrefix().Match(words[0]);
            if (m.Success)
            {
                vcpu = ValueSyntax.ParseInt(m.Groups[1].Value, 0, config.Vcpus - 1, "a vCPU number");
                words = words[1..];
                if (words.Length == 0)
                {
                    throw new FormatException("expected an operation after the vCPU");
                }
            }

            var form = StatementForms.ByKeyword.GetValueOrDefault(words[0]) ?? throw new FormatException(StatementForms.Unknown(words[0]));
            return form.Parse(new StatementWords(line, body, vcpu, words[1..], expect, arrow >= 0, block), _scope);
        }
        catch (FormatException e)
        {
            throw new ScriptException(file, line, e.Message);
        }
    }

    /// <summary>Event names as scripts write them: snake_case of a hypervisor <see cref="EventKind"/> (<see cref="EventKinds.Xen"/>).</summary>
    public static string EventName(EventKind e) => Regex.Replace(e.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant();
}
