
namespace PvMmu.Xen.Scripts;

/// <summary>Runs a parsed script against a fresh hypervisor, printing one line per statement.</summary>
public static class XenScriptRunner
{
    /// <summary>
    /// The outcome of one run: statements run, expectations that failed, and whether a statement could not run as
    /// written (<paramref name="ToolError"/>: the script is at fault, not the model).
    /// </summary>
    public readonly record struct RunSummary(int Operations, int Assertions, int Failed, bool ToolError)
    {
        /// <summary>Every statement ran and every expectation held.</summary>
        public bool Held => !ToolError && Failed == 0;
    }

    public static RunSummary Run(XenScript script, XenVersion version, TextWriter output)
    {
        var config = script.Config with { Version = version };
        var ctx = new ScriptContext(new Hypervisor(config), script.Names);
        output.WriteLine($"{script.File}: Xen {XenRules.Name(version)} rules, {config.Vcpus} vCPUs, {config.TotalFrames} frames");
        int ops = 0, asserts = 0, failed = 0;
        foreach (var st in script.Statements)
        {
            StepResult r;
            try
            {
                r = st.Run(ctx);
            }
            catch (ScriptRunException e)
            {
                output.WriteLine($"{script.File}:{st.Line}: {e.Message}");
                return new RunSummary(ops, asserts, failed, true);
            }
            catch (InvalidOperationException e)
            {
                output.WriteLine($"{script.File}:{st.Line}: {e.Message}");
                return new RunSummary(ops, asserts, failed, true);
            }
            catch (ModelBugException e)
            {
                output.WriteLine($"{script.File}:{st.Line}: internal model error (a bug in PvMmu, please report it): {e.Message}");
                return new RunSummary(ops, asserts, failed + 1, true);
            }

            if (st.IsAssertion)
            {
                asserts++;
            }
            else
            {
                ops++;
            }

            if (!r.Held)
            {
                failed++;
            }

            var label = st.IsAssertion ? string.Empty : "-> ";
            output.WriteLine($"{script.File}:{st.Line}: {(st.IsAssertion ? "expect " : st.Text.Split("->")[0].Trim() + " ")}{label}{r.Output}{(r.Held ? string.Empty : "  FAIL")}");
        }

        output.WriteLine($"{script.File}: {ops} operations, {asserts} assertions, {failed} failed");
        return new RunSummary(ops, asserts, failed, false);
    }
}
