namespace PyHost.FrameworkTests.Infrastructure;

public static class StreamAssert
{
    /// <summary>
    /// The response came as these chunks, and spread over time as the app produced them: the last one came at least
    /// a quarter of the app's total pauses after the first (a loaded machine may read late, never early), so nothing
    /// was held back until the end.
    /// </summary>
    public static void ArrivedOneByOne(StreamedResponse streamed, IReadOnlyList<string> expectedChunks, TimeSpan pause)
    {
        Assert.Equal(expectedChunks, streamed.Chunks.Select(chunk => System.Text.Encoding.UTF8.GetString(chunk.Data)).ToList());
        TimeSpan spread = streamed.Chunks[^1].ArrivedAfter - streamed.Chunks[0].ArrivedAfter;
        Assert.True(spread >= pause * (expectedChunks.Count - 1) / 4, $"The chunks arrived within {spread.TotalMilliseconds} ms: they were held back.");
    }
}
