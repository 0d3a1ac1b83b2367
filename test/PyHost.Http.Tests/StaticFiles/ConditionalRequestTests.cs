using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class ConditionalRequestTests
{
    private static readonly DateTime Modified = new(2024, 5, 17, 10, 30, 15, 250, DateTimeKind.Utc);
    private static readonly FileValidators File = FileValidators.For(1234, Modified);
    private static readonly string Tag = File.ETag.ToString();

    private const string ModifiedText = "Fri, 17 May 2024 10:30:15 GMT";
    private const string Earlier = "Fri, 17 May 2024 10:30:14 GMT";
    private const string Later = "Sat, 18 May 2024 00:00:00 GMT";

    [Fact]
    public void ValidatorsAreAStrongTagOfTimeAndSizeAndTheTimeToTheSecond()
    {
        Assert.Equal($"\"{Modified.Ticks:x}-4d2\"", Tag);
        Assert.False(File.ETag.IsWeak);
        Assert.Equal(ModifiedText, File.LastModifiedText);
        Assert.NotEqual(Tag, FileValidators.For(1234, Modified.AddMilliseconds(1)).ETag.ToString());
        Assert.NotEqual(Tag, FileValidators.For(1235, Modified).ETag.ToString());
    }

    public static TheoryData<ConditionalRequest, ConditionalOutcome> Cases() => new()
    {
        { new(), ConditionalOutcome.Proceed },
        { new(IfNoneMatch: Tag), ConditionalOutcome.NotModified },
        { new(IfNoneMatch: $"W/{Tag}"), ConditionalOutcome.NotModified },
        { new(IfNoneMatch: $"\"a\", {Tag}"), ConditionalOutcome.NotModified },
        { new(IfNoneMatch: "*"), ConditionalOutcome.NotModified },
        { new(IfNoneMatch: "\"other\""), ConditionalOutcome.Proceed },
        { new(IfNoneMatch: "not a tag"), ConditionalOutcome.Proceed },
        { new(IfModifiedSince: ModifiedText), ConditionalOutcome.NotModified },
        { new(IfModifiedSince: Later), ConditionalOutcome.NotModified },
        { new(IfModifiedSince: Earlier), ConditionalOutcome.Proceed },
        { new(IfModifiedSince: "yesterday"), ConditionalOutcome.Proceed },
        // §13.2.2 step 3 before step 4: If-None-Match decides, If-Modified-Since is not looked at.
        { new(IfNoneMatch: "\"other\"", IfModifiedSince: Later), ConditionalOutcome.Proceed },
        { new(IfMatch: Tag), ConditionalOutcome.Proceed },
        { new(IfMatch: "*"), ConditionalOutcome.Proceed },
        { new(IfMatch: "\"other\""), ConditionalOutcome.PreconditionFailed },
        { new(IfMatch: $"W/{Tag}"), ConditionalOutcome.PreconditionFailed },
        { new(IfMatch: "garbage"), ConditionalOutcome.PreconditionFailed },
        { new(IfUnmodifiedSince: ModifiedText), ConditionalOutcome.Proceed },
        { new(IfUnmodifiedSince: Earlier), ConditionalOutcome.PreconditionFailed },
        { new(IfUnmodifiedSince: "garbage"), ConditionalOutcome.Proceed },
        // §13.2.2 step 2 runs only without If-Match.
        { new(IfMatch: Tag, IfUnmodifiedSince: Earlier), ConditionalOutcome.Proceed },
        { new(IfMatch: "\"other\"", IfNoneMatch: Tag), ConditionalOutcome.PreconditionFailed },
        { new(IfMatch: Tag, IfNoneMatch: Tag), ConditionalOutcome.NotModified },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EvaluateFollowsTheOrderOfRfc9110(ConditionalRequest request, ConditionalOutcome expected)
    {
        Assert.Equal(expected, request.Evaluate(File));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(ModifiedText, true)]
    [InlineData(Earlier, false)]
    [InlineData(Later, false)]
    [InlineData("\"other\"", false)]
    [InlineData("garbage", false)]
    public void RangeAppliesOnlyWhenIfRangeNamesTheCurrentFile(string? ifRange, bool applies)
    {
        Assert.Equal(applies, new ConditionalRequest(IfRange: ifRange).RangeApplies(File));
    }

    [Fact]
    public void IfRangeComparesEntityTagsStrongly()
    {
        Assert.True(new ConditionalRequest(IfRange: Tag).RangeApplies(File));
        Assert.False(new ConditionalRequest(IfRange: $"W/{Tag}").RangeApplies(File));
    }
}
