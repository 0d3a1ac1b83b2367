namespace PyHost.Gateways.Tests.Infrastructure;

/// <summary>The requests capture.sh recorded from nginx, Apache and lighttpd (Captures/NAME/REQUEST.bin).</summary>
internal static class Captures
{
    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Captures", name + ".bin"));

    /// <summary>The 40,000 bytes capture.sh uploads: byte i is i mod 251.</summary>
    public static byte[] UploadBody() => Enumerable.Range(0, 40000).Select(i => (byte)(i % 251)).ToArray();

    public static TheoryData<string> Named(params string[] names)
    {
        var data = new TheoryData<string>();
        foreach (string name in names)
        {
            data.Add(name);
        }
        return data;
    }
}
