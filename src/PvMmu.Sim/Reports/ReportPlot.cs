namespace PvMmu.Sim.Reports;

/// <summary>One plot of an HTML report: its PNG, where it goes, and the words and numbers shown beside it.</summary>
/// <param name="File">The PNG's file name inside the report directory.</param>
/// <param name="Heading">The section heading above it.</param>
/// <param name="Alt">The image's alt text: what the plot shows, for a reader who cannot see it.</param>
/// <param name="Png">The encoded image.</param>
/// <param name="TableHtml">The plotted numbers as an HTML table.</param>
internal sealed record ReportPlot(string File, string Heading, string Alt, byte[] Png, string TableHtml);
