using System.ComponentModel.DataAnnotations;
using System.Globalization;
using JobTracking.WebSample.Catalog;

namespace JobTracking.WebSample.Jobs;

/// <summary>Parameters of <see cref="ProductImportJob"/>.</summary>
public sealed record ProductImportParameters
{
    /// <summary>The CSV file of the sample's data folder to import (sku,name,brand,category,price,stock,description).</summary>
    [Required]
    public string File { get; init; } = "products.csv";

    /// <summary>A pause after each row, so that people can follow the import (and pause it) in the dashboard.</summary>
    [Range(0, 5000)]
    public int RowDelayMilliseconds { get; init; } = 250;
}

/// <summary>
/// Imports products from CSV into the catalog: every row is checked, a bad one is rejected with the reason (the Rejects
/// tab) and a line in the log, a good one is added or replaced. Resumes from the row it had reached after a pause.
/// </summary>
public sealed class ProductImportJob(ProductCatalog catalog, SampleFolders folders, TimeProvider clock) : JobDefinition<ProductImportParameters>
{
    public override string DisplayName => "Product import";

    public override IEnumerable<JobParameterError> Validate(ProductImportParameters parameters)
    {
        if (folders.DataFile(parameters.File) is null)
        {
            yield return new JobParameterError(nameof(parameters.File), $"'{parameters.File}' is not a file of the sample's data folder.");
        }
    }

    public override async ValueTask ExecuteAsync(IJobContext<ProductImportParameters> context)
    {
        var lines = await File.ReadAllLinesAsync(folders.DataFile(context.Parameters.File)!, context.CancellationToken);
        var rows = lines.Length - 1;
        var next = context.GetCheckpoint<int?>() ?? 1;
        context.DefineSteps("read", "validate and write");
        if (next == 1)
        {
            var read = context.BeginStep("read");
            read.AddRead(rows);
            read.Complete();
            context.Logger.LogInformation("Read {Rows} rows from {File}", rows, context.Parameters.File);
        }

        var step = context.BeginStep("validate and write");
        int written = 0, rejected = 0;
        for (var row = next; row <= rows; row++)
        {
            var raw = lines[row];
            step.AddRead();
            var (product, reason) = Parse(CsvLine.Split(raw));
            if (product is null)
            {
                // The reject is the row's one warning (on the job and on this step); the log line only tells the story.
                await context.RejectAsync(row, raw, reason!);
                context.Logger.LogInformation("Row {Row} rejected ({Reason}): {Record}", row, reason, raw);
                step.AddSkipped();
                rejected++;
            }
            else
            {
                catalog.Upsert(product);
                step.AddWritten();
                written++;
            }

            context.SetCheckpoint<int?>(row + 1);
            context.ReportProgress(row, rows);
            await Task.Delay(TimeSpan.FromMilliseconds(context.Parameters.RowDelayMilliseconds), clock, context.CancellationToken);
            await context.SafePointAsync();
        }

        step.Complete();
        context.Logger.LogInformation("Imported {Written} products; {Rejected} rows rejected (in this run)", written, rejected);
    }

    private static (Product? Product, string? Reason) Parse(List<string> f)
    {
        if (f.Count != 7)
        {
            return (null, $"expected 7 fields, found {f.Count}");
        }

        if (!f[0].StartsWith("SKU-", StringComparison.Ordinal))
        {
            return (null, "the SKU does not start with SKU-");
        }

        if (f[1].Length == 0 || f[1].AsSpan().IndexOfAny("<>") >= 0)
        {
            return (null, "the name must be plain text");
        }

        if (f[4].Length == 0)
        {
            return (null, "the price is missing");
        }

        if (!decimal.TryParse(f[4], NumberStyles.Number, CultureInfo.InvariantCulture, out var price) || price <= 0)
        {
            return (null, $"the price '{f[4]}' is not a positive number");
        }

        if (!int.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out var stock))
        {
            return (null, $"the stock '{f[5]}' is not a whole number of zero or more");
        }

        return (new Product
        {
            Sku = f[0], Name = f[1], Brand = Empty(f[2]), Category = Empty(f[3]), Price = price, Stock = stock, Description = Empty(f[6]),
        }, null);
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
