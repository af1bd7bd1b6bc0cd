namespace JobTracking;

/// <summary>
/// A <see cref="DateTimeOffset"/>? kept in eight bytes (UTC ticks plus one, zero for none) with its offset apart, in
/// minutes: a nullable <see cref="DateTimeOffset"/> field takes 24 bytes.
/// </summary>
internal static class CompactTime
{
    // A required time never set reads as the default, as an auto-property's would.
    public static DateTimeOffset ReadRequired(long stored, short offsetMinutes) => stored == 0 ? default : ToTime(stored, offsetMinutes);

    public static DateTimeOffset? Read(long stored, short offsetMinutes) => stored == 0 ? null : ToTime(stored, offsetMinutes);

    public static long Write(DateTimeOffset value, out short offsetMinutes)
    {
        offsetMinutes = (short)value.TotalOffsetMinutes;
        return value.UtcTicks + 1;
    }

    public static long Write(DateTimeOffset? value, out short offsetMinutes)
    {
        if (value is not { } time)
        {
            offsetMinutes = 0;
            return 0;
        }

        return Write(time, out offsetMinutes);
    }

    private static DateTimeOffset ToTime(long stored, short offsetMinutes)
    {
        var utc = new DateTimeOffset(stored - 1, TimeSpan.Zero);
        return offsetMinutes == 0 ? utc : utc.ToOffset(TimeSpan.FromMinutes(offsetMinutes));
    }

    /// <summary>The offsets of a record's times.</summary>
    /// <remarks>
    /// Equal whatever they hold, so a record compares its times as <see cref="DateTimeOffset"/> does: by the instant
    /// alone (the ticks fields), whatever the offsets.
    /// </remarks>
    internal struct Offsets : IEquatable<Offsets>
    {
        public short CreatedAt;
        public short RunAfter;
        public short IdempotentUntil;
        public short StartedAt;
        public short EndedAt;

        public readonly bool Equals(Offsets other) => true;

        public override readonly bool Equals(object? obj) => obj is Offsets;

        public override readonly int GetHashCode() => 0;
    }
}
