using System.CommandLine;
using PvMmu.Sim.Inputs;
using PvMmu.Xen;
using PvMmu.Xen.Scripts;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu xen run FILE...</c>: hypercall scripts against a fresh hypervisor model.</summary>
public static class XenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("files")
        {
            Description = "Hypercall scripts (docs/scenario-format.md).",
            Arity = ArgumentArity.OneOrMore,
        };
        var xen = new Option<string?>("--xen")
        {
            Description = "Xen rules to run under: current (default; 4.17 and later) or 4.8 (2017). Overrides a script's 'xen' line.",
        };
        OptionValue.OneOf(xen, "current", "4.17", "4.8");
        var all = new Option<bool>("--all-versions")
        {
            Description = "Run each script under every version its 'versions' line names.",
        };
        var run = new Command("run", "Run hypercall scripts; exit 0 when every expectation held, 2 when one failed, 1 on a malformed script.")
        {
            files,
            xen,
            all,
        };
        run.SetAction(pr => RunScripts(pr.GetValue(files)!, pr.GetValue(xen), pr.GetValue(all), stdout, stderr));
        return new Command("xen", "The hypervisor model on its own.") { run };
    }

    public static int RunScripts(string[] paths, string? xen, bool allVersions, TextWriter stdout, TextWriter stderr)
    {
        XenVersion? forced = xen != null && XenRules.TryParse(xen, out var v) ? v : null;
        var scripts = new List<XenScript>();
        foreach (var p in paths)
        {
            try
            {
                scripts.Add(ParseFile(p));
            }
            catch (ScriptException e)
            {
                stderr.WriteLine($"pvmmu: {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        bool toolError = false, finding = false;
        foreach (var s in scripts)
        {
            var versions = forced is { } f ? [f] : allVersions ? s.Versions : [s.Version ?? XenVersion.Current];
            foreach (var version in versions)
            {
                var summary = XenScriptRunner.Run(s, version, stdout);
                toolError |= summary.ToolError;
                finding |= !summary.ToolError && summary.Failed > 0;
            }
        }

        return toolError ? ExitCodes.BadInput : finding ? ExitCodes.Finding : ExitCodes.Ok;
    }

    /// <summary>A script read through the input caps every file passes (<see cref="InputFile"/>), then parsed.</summary>
    public static XenScript ParseFile(string path)
    {
        string text;
        try
        {
            text = InputFile.ReadText(path);
        }
        catch (InputFileException e)
        {
            throw new ScriptException(path, e.Line, e.Reason);
        }

        return XenScriptParser.Parse(path, text);
    }
}
