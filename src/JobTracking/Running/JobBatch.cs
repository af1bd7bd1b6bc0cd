using System.Globalization;
using System.Text;
using JobTracking.Definitions;

namespace JobTracking.Running;

/// <summary>Validates and serializes the parameters of a bulk start, all of them before anything is stored.</summary>
internal static class JobBatch
{
    // The message names this many bad items at most; the exception's errors list every one.
    private const int MaxItemsInMessage = 20;

    /// <summary>Returns each item's parameters as JSON, in order.</summary>
    /// <exception cref="ArgumentException">An item is <see langword="null"/>.</exception>
    /// <exception cref="JobParametersException">Items are invalid: one exception naming each bad item by index and field.</exception>
    public static string[] Serialize<TParameters>(JobType type, IReadOnlyList<TParameters> parameters)
    {
        var json = new string[parameters.Count];
        List<JobParameterError>? errors = null;
        StringBuilder? message = null;
        var badItems = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var item = parameters[i];
            if (item is null)
            {
                throw new ArgumentException($"Item {i} of the parameters is null; every job of the batch needs its parameters. Nothing was started.", nameof(parameters));
            }

            var serialized = type.TrySerializeParameters(item, out var itemErrors);
            if (serialized is not null)
            {
                json[i] = serialized;
                continue;
            }

            errors ??= [];
            message ??= new StringBuilder();
            if (++badItems <= MaxItemsInMessage)
            {
                foreach (var error in itemErrors!)
                {
                    message.Append(message.Length == 0 ? string.Empty : "; ").Append(CultureInfo.InvariantCulture, $"item {i}: ")
                        .Append(error.Field.Length == 0 ? error.Message : $"{error.Field}: {error.Message}");
                }
            }

            foreach (var error in itemErrors!)
            {
                var field = string.Create(CultureInfo.InvariantCulture, $"[{i}]") + (error.Field.Length == 0 ? string.Empty : "." + error.Field);
                errors.Add(new JobParameterError(field, error.Message));
            }
        }

        if (errors is not null)
        {
            if (badItems > MaxItemsInMessage)
            {
                message!.Append(CultureInfo.InvariantCulture, $"; and {badItems - MaxItemsInMessage} more items (see Errors)");
            }

            throw new JobParametersException(
                type.TypeName,
                errors,
                string.Create(CultureInfo.InvariantCulture, $"Invalid parameters for job type '{type.TypeName}' in {badItems} of {json.Length} items; no job was started: {message}"));
        }

        return json;
    }
}
