using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace JobTracking.Sample;

/// <summary>Parameters of <see cref="ProductImportJob"/>.</summary>
public sealed record ProductImportParameters
{
    /// <summary>The CSV file to import (sku,name,price,stock).</summary>
    [Required]
    public string InputFile { get; init; } = "";

    /// <summary>Where the valid products are written.</summary>
    [Required]
    public string OutputFile { get; init; } = "";
}

/// <summary>Where a stopped <see cref="ProductImportJob"/> continues: the next data row to validate (the first is 1).</summary>
/// <param name="NextRow">The row number, counted from the first row after the header.</param>
public sealed record ProductImportCheckpoint(int NextRow);

/// <summary>
/// Imports products from a CSV file: reads it, rejects invalid rows with a reason, writes the valid ones to a file.
/// Each step counts what it really handled: "read" the rows in the file, "validate" the rows it checked (skipping the
/// rejected ones), "write" the valid rows it was given and wrote.
/// </summary>
public sealed class ProductImportJob : JobDefinition<ProductImportParameters>
{
    public override string DisplayName => "Product import";

    public override IEnumerable<JobParameterError> Validate(ProductImportParameters parameters)
    {
        if (!File.Exists(parameters.InputFile))
        {
            yield return new JobParameterError(nameof(parameters.InputFile), $"'{parameters.InputFile}' does not exist.");
        }
    }

    public override async ValueTask ExecuteAsync(IJobContext<ProductImportParameters> context)
    {
        var p = context.Parameters;
        // A run after a pause or an interruption continues with the row it had not validated yet; the counters,
        // rejects and log of the rows before it were kept, so they are not counted or rejected twice.
        var checkpoint = context.GetCheckpoint<ProductImportCheckpoint>();
        context.DefineSteps("read", "validate", "write");

        var lines = await File.ReadAllLinesAsync(p.InputFile, context.CancellationToken);
        var rows = lines.Length - 1;
        if (checkpoint is null)
        {
            var read = context.BeginStep("read");
            read.AddRead(rows);
            read.Complete();
            context.Logger.LogInformation("Read {Count} rows from {File}", rows, Path.GetFileName(p.InputFile));
            context.SetCheckpoint(new ProductImportCheckpoint(1));
        }

        var resumeAt = checkpoint?.NextRow ?? 1;

        var validate = context.BeginStep("validate");
        var valid = new List<string>();
        for (var row = 1; row < lines.Length; row++)
        {
            var reason = Check(ParseCsvLine(lines[row]));
            if (row < resumeAt)
            {
                if (reason is null)
                {
                    valid.Add(lines[row]); // validated by the run before; only the list of valid rows is rebuilt
                }

                continue;
            }

            validate.AddRead();
            if (reason is null)
            {
                valid.Add(lines[row]);
            }
            else
            {
                await context.RejectAsync(row, lines[row], reason);
                validate.AddSkipped();
            }

            context.SetCheckpoint(new ProductImportCheckpoint(row + 1));
            context.ReportProgress(row, rows);
            await context.SafePointAsync();
        }

        validate.Complete();

        var write = context.BeginStep("write");
        write.AddRead(valid.Count);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(p.OutputFile))!);
        await File.WriteAllLinesAsync(p.OutputFile, [lines[0], .. valid], context.CancellationToken);
        write.AddWritten(valid.Count);
        write.Complete();
        context.Logger.LogInformation("Wrote {Count} products to {File}", valid.Count, p.OutputFile);
        if (valid.Count < rows)
        {
            context.Logger.LogWarning("{Count} rows were rejected; see the Rejects tab", rows - valid.Count);
        }
    }

    private static string? Check(IReadOnlyList<string> fields)
    {
        if (fields.Count != 4)
        {
            return $"expected 4 fields, found {fields.Count}";
        }

        if (!fields[0].StartsWith("SKU-", StringComparison.Ordinal))
        {
            return $"sku '{fields[0]}' does not start with 'SKU-'";
        }

        if (!decimal.TryParse(fields[2], NumberStyles.Number, CultureInfo.InvariantCulture, out var price) || price <= 0)
        {
            return fields[2].Length == 0 ? "price is missing" : $"price '{fields[2]}' is not a positive number";
        }

        if (!int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return $"stock '{fields[3]}' is not a whole number of zero or more";
        }

        return null;
    }

    private static List<string> ParseCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
