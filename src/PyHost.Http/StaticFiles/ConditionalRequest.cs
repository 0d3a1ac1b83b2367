using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace PyHost.Http.StaticFiles;

/// <summary>A file's validators: a strong ETag from its modification time and size, and its Last-Modified to the second.</summary>
public sealed record FileValidators(EntityTagHeaderValue ETag, DateTimeOffset LastModified)
{
    /// <summary>
    /// Like nginx's "mtime-size", with the time in 100 ns ticks: a file rewritten within the same second with the
    /// same size still gets a new tag. Strong, because the bytes are served exactly as stored (RFC 9110 §8.8.1).
    /// </summary>
    public static FileValidators For(long length, DateTime lastWriteUtc)
    {
        var tag = new EntityTagHeaderValue(string.Create(CultureInfo.InvariantCulture, $"\"{lastWriteUtc.Ticks:x}-{length:x}\""));
        var seconds = new DateTimeOffset(lastWriteUtc.Ticks - lastWriteUtc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return new FileValidators(tag, seconds);
    }

    public string LastModifiedText => HeaderUtilities.FormatDate(LastModified);
}

/// <summary>What the conditional headers of a GET or HEAD decide before the file is sent.</summary>
public enum ConditionalOutcome
{
    /// <summary>Send the file (200, or 206 when a range applies).</summary>
    Proceed,

    /// <summary>304: the client's copy is current (RFC 9110 §15.4.5).</summary>
    NotModified,

    /// <summary>412: an If-Match or If-Unmodified-Since condition is false (RFC 9110 §15.5.13).</summary>
    PreconditionFailed,
}

/// <summary>The request's conditional header fields (RFC 9110 §13.1), null when absent.</summary>
public sealed record ConditionalRequest(
    string? IfMatch = null,
    string? IfNoneMatch = null,
    string? IfModifiedSince = null,
    string? IfUnmodifiedSince = null,
    string? IfRange = null)
{
    /// <summary>
    /// Evaluates the preconditions in the order of RFC 9110 §13.2.2 for a GET or HEAD of an existing file:
    /// If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since.
    /// </summary>
    public ConditionalOutcome Evaluate(FileValidators validators)
    {
        if (IfMatch is not null)
        {
            // §13.1.1: strong comparison; a list that does not parse matches nothing.
            if (!AnyTagMatches(IfMatch, validators.ETag, useStrongComparison: true))
            {
                return ConditionalOutcome.PreconditionFailed;
            }
        }
        else if (TryParseDate(IfUnmodifiedSince, out DateTimeOffset unmodifiedSince) && validators.LastModified > unmodifiedSince)
        {
            return ConditionalOutcome.PreconditionFailed;   // §13.1.4; an invalid date is ignored
        }

        if (IfNoneMatch is not null)
        {
            // §13.1.2: weak comparison; for GET and HEAD a match means 304.
            return AnyTagMatches(IfNoneMatch, validators.ETag, useStrongComparison: false)
                ? ConditionalOutcome.NotModified
                : ConditionalOutcome.Proceed;
        }
        if (TryParseDate(IfModifiedSince, out DateTimeOffset modifiedSince) && validators.LastModified <= modifiedSince)
        {
            return ConditionalOutcome.NotModified;   // §13.1.3; an invalid date is ignored
        }
        return ConditionalOutcome.Proceed;
    }

    /// <summary>
    /// Whether a Range header may be honoured (RFC 9110 §13.1.5): always without If-Range; with it, only when it
    /// names the current representation, by a strong ETag or by exactly its Last-Modified date.
    /// </summary>
    public bool RangeApplies(FileValidators validators)
    {
        if (IfRange is null)
        {
            return true;
        }
        string value = IfRange.Trim();
        if (value.StartsWith('"') || value.StartsWith("W/", StringComparison.Ordinal))
        {
            return EntityTagHeaderValue.TryParse(value, out EntityTagHeaderValue? tag)
                && tag.Compare(validators.ETag, useStrongComparison: true);
        }
        return TryParseDate(value, out DateTimeOffset date) && date == validators.LastModified;
    }

    private static bool AnyTagMatches(string header, EntityTagHeaderValue current, bool useStrongComparison) =>
        EntityTagHeaderValue.TryParseList([header], out IList<EntityTagHeaderValue>? tags)
        && tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison));

    private static bool TryParseDate(string? text, out DateTimeOffset date)
    {
        date = default;
        return text is not null && HeaderUtilities.TryParseDate(new StringSegment(text), out date);
    }
}
