using System.Text;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>The comparison at the heart of the framework tests: pyhost must answer as gunicorn does.</summary>
public static class TranscriptAssert
{
    public static void Same(Browser reference, Browser candidate)
    {
        IReadOnlyList<Exchange> expected = reference.Transcript;
        IReadOnlyList<Exchange> actual = candidate.Transcript;
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            Exchange? want = i < expected.Count ? expected[i] : null;
            Exchange? got = i < actual.Count ? actual[i] : null;
            if (want is null || got is null || !want.SameAs(got))
            {
                var message = new StringBuilder($"Exchange {i + 1} differs between {reference.Server.Name} (the reference) and {candidate.Server.Name}.\n");
                message.Append($"--- {reference.Server.Name}:\n{want?.ToString() ?? "(none)"}\n");
                message.Append($"--- {candidate.Server.Name}:\n{got?.ToString() ?? "(none)"}\n");
                Assert.Fail(message.ToString());
            }
        }
    }
}
