namespace PyHost.FrameworkTests.Infrastructure;

public static class StreamAssert
{
    /// <summary>
    /// GETs <paramref name="target"/> as a stream: the response comes as these chunks, and spread over time as the app
    /// produced them, the last one at least a quarter of the app's total pauses after the first, so nothing was held
    /// back until the end. A reader that a loaded machine stalls for longer than the pauses finds every chunk queued
    /// and reads them at once, which looks the same from here: a response with the right chunks that came at once is
    /// therefore fetched once more. A server that holds chunks back does so both times and fails.
    /// </summary>
    public static async Task<StreamedResponse> ArrivesOneByOneAsync(Browser browser, string target, IReadOnlyList<string> expectedChunks, TimeSpan pause)
    {
        StreamedResponse streamed = await browser.StreamAsync(target);
        Assert.Equal(expectedChunks, Texts(streamed));
        if (!SpreadOver(streamed, expectedChunks.Count, pause))
        {
            streamed = await browser.StreamAsync(target);
            Assert.Equal(expectedChunks, Texts(streamed));
        }
        TimeSpan spread = Spread(streamed);
        Assert.True(SpreadOver(streamed, expectedChunks.Count, pause), $"The chunks arrived within {spread.TotalMilliseconds} ms, twice: they were held back.");
        return streamed;
    }

    private static List<string> Texts(StreamedResponse streamed) => streamed.Chunks.Select(chunk => System.Text.Encoding.UTF8.GetString(chunk.Data)).ToList();

    private static TimeSpan Spread(StreamedResponse streamed) => streamed.Chunks[^1].ArrivedAfter - streamed.Chunks[0].ArrivedAfter;

    private static bool SpreadOver(StreamedResponse streamed, int chunks, TimeSpan pause) => Spread(streamed) >= pause * (chunks - 1) / 4;
}
