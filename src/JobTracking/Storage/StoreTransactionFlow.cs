namespace JobTracking.Storage;

/// <summary>
/// Marks the calls made in one asynchronous flow as writes in the application's own database transaction: what the
/// engine would write later on its own (a command's history entry) is written in the flow instead, so the store writes
/// it in that transaction and it commits or rolls back with the rest.
/// </summary>
internal static class StoreTransactionFlow
{
    private static readonly AsyncLocal<Marker?> Current = new();

    /// <summary>Gets whether the current flow writes in an application's transaction.</summary>
    public static bool IsActive => Current.Value is { Active: true };

    /// <summary>Marks the current flow until the returned scope is disposed; a flow forked meanwhile sees the mark end with it.</summary>
    public static IDisposable Enter()
    {
        var marker = new Marker(Current.Value);
        Current.Value = marker;
        return marker;
    }

    private sealed class Marker(Marker? previous) : IDisposable
    {
        public bool Active { get; private set; } = true;

        public void Dispose()
        {
            Active = false;
            Current.Value = previous;
        }
    }
}
