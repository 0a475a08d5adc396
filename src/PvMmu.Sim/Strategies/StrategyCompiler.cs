using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using PvMmu.Linux;
using PvMmu.Linux.Exit;

namespace PvMmu.Sim.Strategies;

/// <summary>
/// Compiles a strategy file with Roslyn against the .NET base library and PvMmu.Linux alone: the guest's code is
/// there to call, the hypervisor model is not (PvMmu.Xen is not referenced, so a strategy reaches Xen only through
/// the guest's hypercalls and gets Xen's errors). The step budget goes in (<see cref="BudgetRewriter"/>); the image
/// and its symbols come out, so that an exception names the file's line.
/// </summary>
internal static class StrategyCompiler
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // The base library as the runtime has it (the shared framework's directory), and the guest model.
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var refs = Directory.EnumerateFiles(framework, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "mscorlib.dll" or "netstandard.dll"))
            .Order(StringComparer.Ordinal)
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
            .ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(Kernel).Assembly.Location));
        return [.. refs];
    });

    /// <summary>What the cache key must change with besides the source: the guest model's build and this compiler's.</summary>
    public static string Fingerprint => string.Create(CultureInfo.InvariantCulture, $"{typeof(Kernel).Assembly.ManifestModule.ModuleVersionId}/{typeof(CSharpCompilation).Assembly.GetName().Version}/budget-{StrategyBudget.Steps}");

    /// <summary>The image and its portable PDB; a <see cref="StrategyFileException"/> with every error, one a line.</summary>
    public static (byte[] Image, byte[] Symbols) Compile(string source, string display, string assemblyName)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var text = Microsoft.CodeAnalysis.Text.SourceText.From(source, Encoding.UTF8);
        var tree = CSharpSyntaxTree.ParseText(text, options, Path.GetFileName(display));
        var budgeted = tree.WithRootAndOptions(new BudgetRewriter().Visit(tree.GetRoot()), options);
        var compile = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable, deterministic: true);
        var compilation = CSharpCompilation.Create(assemblyName, [budgeted], References.Value, compile);
        using var image = new MemoryStream();
        using var symbols = new MemoryStream();
        var result = compilation.Emit(image, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        if (!result.Success)
        {
            // The positions the user sees are the file's own: the same errors, from the file as written.
            var plain = CSharpCompilation.Create(assemblyName, [tree], References.Value, compile);
            var errors = plain.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count == 0)
            {
                errors = [.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)];
            }

            throw new StrategyFileException(string.Join('\n', errors.Select(d => Line(d, display))));
        }

        return (image.ToArray(), symbols.ToArray());
    }

    /// <summary>FILE:LINE:COL: error CSxxxx: message, as the C# compiler prints it.</summary>
    private static string Line(Diagnostic d, string display)
    {
        var inv = CultureInfo.InvariantCulture;
        var where = d.Location.IsInSource ? d.Location.GetLineSpan().StartLinePosition : default;
        var message = d.GetMessage(inv);
        if (d.Id == "CS0012" && message.Contains("PvMmu.Xen", StringComparison.Ordinal))
        {
            message += " A strategy reaches the hypervisor only through the guest's hypercalls (docs/strategies.md).";
        }

        return d.Location.IsInSource
            ? $"{display}:{(where.Line + 1).ToString(inv)}:{(where.Character + 1).ToString(inv)}: error {d.Id}: {message}"
            : $"{display}: error {d.Id}: {message}";
    }
}
