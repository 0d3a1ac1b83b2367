using System.Buffers;
using PyHost.Gateways.FastCgi;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests.FastCgi;

public class FastCgiCapturedRequestsTests
{
    public static TheoryData<string> CapturedRequests => Captures.Named(
        "nginx-fastcgi/get", "nginx-fastcgi/post", "nginx-fastcgi/mounted", "nginx-fastcgi/upload",
        "apache-fastcgi/get", "apache-fastcgi/post", "apache-fastcgi/mounted", "apache-fastcgi/upload",
        "lighttpd-fastcgi/get", "lighttpd-fastcgi/post", "lighttpd-fastcgi/mounted", "lighttpd-fastcgi/upload");

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void ACapturedRequestBeginsGivesItsParamsAndBodyAndEnds(string capture)
    {
        var events = new FastCgiEvents();

        var (status, consumed) = events.Feed(Captures.Load(capture));

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(Captures.Load(capture).Length, consumed);
        Assert.Equal("began #1 keep=False", events.Events[0]);
        Assert.StartsWith("params #1 ", events.Events[1]);
        Assert.Equal("stdin end #1", events.Events[^1]);
        Assert.Equal(0, events.Replies.WrittenCount);
        byte[] body = events.Bodies.TryGetValue(1, out List<byte>? received) ? received.ToArray() : [];
        byte[] expected = capture.EndsWith("upload") ? Captures.UploadBody() : capture.EndsWith("post") ? "a=1&b=2"u8.ToArray() : [];
        Assert.Equal(expected, body);
    }

    [Fact]
    public void NginxSplitsABigBodyIntoSeveralStdinRecords()
    {
        var events = new FastCgiEvents();

        events.Feed(Captures.Load("nginx-fastcgi/upload"));

        Assert.Equal(2, events.Raw.Count(@event => @event.Kind == FastCgiEventKind.StdinData));
        Assert.Equal(32768, events.Raw.First(@event => @event.Kind == FastCgiEventKind.StdinData).Data.Length);
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void EveryPrefixGivesTheEventsOfItsWholeRecordsAndWaitsForMore(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        var whole = new FastCgiEvents();
        whole.Feed(bytes);

        for (int length = 0; length < bytes.Length; length++)
        {
            var events = new FastCgiEvents();
            var (status, _) = events.Feed(new ReadOnlySequence<byte>(bytes, 0, length));

            Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes: {status} {events.Error}");
            Assert.True(events.Events.Count < whole.Events.Count, $"prefix of {length} bytes gave every event");
            Assert.Equal(whole.Events.Take(events.Events.Count), events.Events);
        }
    }

    [Theory]
    [MemberData(nameof(CapturedRequests))]
    public void EverySplitInTwoGivesTheSameEvents(string capture)
    {
        byte[] bytes = Captures.Load(capture);
        var whole = new FastCgiEvents();
        whole.Feed(bytes);
        // The uploads are 40 kB: every 7th cut keeps the run short and still lands in every record and padding.
        int step = bytes.Length > 4096 ? 7 : 1;

        for (int cut = 1; cut < bytes.Length; cut += step)
        {
            var events = new FastCgiEvents();
            events.Feed(Sequences.Split(bytes, cut));

            Assert.Equal(whole.Events, events.Events);
        }
    }

    [Fact]
    public void FeedingTheRestAfterAPrefixContinuesWhereItStopped()
    {
        byte[] bytes = Captures.Load("nginx-fastcgi/post");
        var whole = new FastCgiEvents();
        whole.Feed(bytes);

        for (int cut = 1; cut < bytes.Length; cut++)
        {
            var events = new FastCgiEvents();
            var (_, consumed) = events.Feed(new ReadOnlySequence<byte>(bytes, 0, cut));
            events.Feed(new ReadOnlySequence<byte>(bytes, (int)consumed, bytes.Length - (int)consumed));

            Assert.Equal(whole.Events, events.Events);
        }
    }

    [Fact]
    public void ApacheSendsItsHeadersMergedAndTheWholePathAsScriptName()
    {
        var events = new FastCgiEvents();
        events.Feed(Captures.Load("apache-fastcgi/get"));

        CgiVariables variables = events.Raw[1].Variables!;
        Assert.Equal("a=1, b=2", variables.GetLatin1("HTTP_COOKIE"));
        Assert.Equal("/hello/w\u00C3\u00B6rld", variables.GetLatin1("SCRIPT_NAME"));
        Assert.Null(variables.GetLatin1("PATH_INFO"));
        Assert.Equal("/hello/w%C3%B6rld?x=1&y=%20", variables.GetLatin1("REQUEST_URI"));
    }
}
