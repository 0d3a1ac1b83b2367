using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Access;

/// <summary>htpasswd files as Debian's htpasswd (apache2-utils) writes them.</summary>
public sealed class HtpasswdTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pyhost-htpasswd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Runs the real htpasswd: "-nbB user password" prints "user:hash".</summary>
    private static string Htpasswd(string flags, string user, string password)
    {
        var start = new ProcessStartInfo("htpasswd") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] parts = flags.Split(' ');
        foreach (string argument in (string[])["-nb" + parts[0], .. parts[1..], user, password])
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output.Trim();
    }

    private static string OpensslMd5Crypt(string password)
    {
        var start = new ProcessStartInfo("openssl", ["passwd", "-1", password]) { RedirectStandardOutput = true };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    [Theory]
    [InlineData("B", "bcrypt")]
    [InlineData("m", "apr1-MD5")]
    [InlineData("s", "{SHA}")]
    [InlineData("2", "SHA-256 crypt")]
    [InlineData("5", "SHA-512 crypt")]
    [InlineData("2 -r 1000", "SHA-256 crypt")]
    [InlineData("5 -r 12345", "SHA-512 crypt")]
    public void EveryHashHtpasswdWritesThatPyHostReadsChecksTheRightPasswordOnly(string flag, string kind)
    {
        foreach (string password in new[] { "secret", "pässwörd ünïcode", "a:colon and spaces ", "" })
        {
            string line = Htpasswd(flag, "bob", password);
            PasswordHash hash = HtpasswdFile.Parse("users", line)["bob"];
            Assert.Equal(kind, hash.Kind);
            Assert.True(hash.Verify(password), $"{line} should accept '{password}'");
            Assert.False(hash.Verify(password + "x"));
            Assert.False(hash.Verify(password.ToUpperInvariant() + "X"));
        }
    }

    [Fact]
    public void GlibcMd5CryptFromOpensslIsReadToo()
    {
        PasswordHash hash = HtpasswdFile.Parse("users", "carol:" + OpensslMd5Crypt("hunter2"))["carol"];
        Assert.Equal("MD5 crypt", hash.Kind);
        Assert.True(hash.Verify("hunter2"));
        Assert.False(hash.Verify("hunter3"));
    }

    [Fact]
    public void Apr1MatchesAKnownVector() =>
        // Made by Debian's htpasswd -nbm bob secret.
        Assert.True(HtpasswdFile.Parse("users", "bob:$apr1$vg5CZ2/T$i8j4EIremqFnO8MBgwBnC/")["bob"].Verify("secret"));

    [Theory]
    // Vectors from glibc's crypt(3) (Debian's libxcrypt via Python's crypt module): the default 5000 rounds, more
    // rounds said in the hash, and the longest salt (crypt cut "toolongsaltstring" to 16 characters).
    [InlineData("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!")]
    [InlineData("$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/", "we have a short salt string but not a short password")]
    [InlineData("$6$rounds=5000$toolongsaltstrin$iGlL7EUUfzNQx59x3ydJZ.zXPMUu1dOynSEl/vcNhLlas77qD0DzRswhhB6LdrXTz250at0syAfUXra.XrxAI1", "Hello world!")]
    public void ShaCryptMatchesGlibcVectors(string hash, string password)
    {
        PasswordHash parsed = HtpasswdFile.Parse("users", "bob:" + hash)["bob"];
        Assert.True(parsed.Verify(password));
        Assert.False(parsed.Verify(password + " "));
    }

    [Theory]
    [InlineData("p", "the password is plain text or a DES crypt(3) hash (htpasswd -p or -d), which PyHost refuses; hash it with bcrypt: htpasswd -B FILE USER")]
    [InlineData("d", "the password is plain text or a DES crypt(3) hash")]
    public void AHashPyHostDoesNotReadRefusesTheFileWithItsLine(string flag, string expected)
    {
        string text = "# staff\n\n" + Htpasswd("B", "alice", "x") + "\n" + Htpasswd(flag, "bob", "secret") + "\n";
        HtpasswdException error = Assert.Throws<HtpasswdException>(() => HtpasswdFile.Parse("/etc/site.htpasswd", text));
        Assert.StartsWith("/etc/site.htpasswd:4: user 'bob': " + expected, error.Message);
    }

    [Theory]
    [InlineData("bob", "/etc/x:1: expected USER:HASH")]
    [InlineData("bob:$2y$05$short", "/etc/x:1: user 'bob': a bcrypt hash is 60 characters long")]
    [InlineData("bob:{SHA}not-base64", "/etc/x:1: user 'bob': a {SHA} hash is the base64 of 20 bytes")]
    [InlineData("bob:$apr1$salt$short", "/etc/x:1: user 'bob': an MD5 crypt hash is $apr1$SALT$HASH")]
    [InlineData("bob:$6$salt$short", "/etc/x:1: user 'bob': a SHA crypt hash is $5$[rounds=N$]SALT$HASH")]
    public void ADamagedLineIsNamed(string line, string expected) =>
        Assert.StartsWith(expected, Assert.Throws<HtpasswdException>(() => HtpasswdFile.Parse("/etc/x", line)).Message);

    [Fact]
    public void TheFileIsReadAgainWhenItChangesAndABrokenEditKeepsTheUsersReadBefore()
    {
        string path = Path.Combine(_directory, "users.htpasswd");
        File.WriteAllText(path, Htpasswd("B", "alice", "one") + "\n");
        var time = new ManualTime();
        var logs = new ListLoggerFactory();
        HtpasswdFile file = HtpasswdFile.Load(path, logs.CreateLogger("access"), time);
        Assert.True(file.Find("alice")!.Verify("one"));

        File.WriteAllText(path, Htpasswd("B", "alice", "two") + "\n" + Htpasswd("m", "bob", "three") + "\n");
        Assert.True(file.Find("alice")!.Verify("one"));       // looked at again only once a second
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.True(file.Find("alice")!.Verify("two"));
        Assert.True(file.Find("bob")!.Verify("three"));
        Assert.Contains(logs.Lines, line => line.EndsWith($"Basic auth: re-read {path} (2 users)", StringComparison.Ordinal));

        File.WriteAllText(path, "alice:plain\n");
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.True(file.Find("alice")!.Verify("two"));
        Assert.Contains(logs.Lines, line => line.Contains($"the changed {path} cannot be used, the users read before stay: {path}:1: user 'alice': the password is plain text", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownUserIsCheckedAgainstOneOfTheFilesOwnHashesTheSameOneEachTime()
    {
        // A cost-12 bcrypt file: a fixed cost-5 decoy would answer an unknown name 100 times faster than a wrong password.
        string path = Path.Combine(_directory, "users");
        File.WriteAllText(path, $"{Htpasswd("B -C 12", "alice", "a")}\n{Htpasswd("m", "bob", "b")}\n");
        HtpasswdFile file = HtpasswdFile.Load(path, NullLogger.Instance);
        PasswordHash[] own = [file.Find("alice")!, file.Find("bob")!];

        PasswordHash decoy = file.DecoyFor("mallory")!;

        Assert.Contains(own, hash => ReferenceEquals(hash, decoy));
        Assert.Same(decoy, file.DecoyFor("mallory"));
        Assert.Equal(2, Enumerable.Range(0, 64).Select(i => file.DecoyFor($"user{i}")).Distinct().Count());
    }

    [Fact]
    public void AFileWithoutUsersHasNoDecoyOfItsOwn()
    {
        string path = Path.Combine(_directory, "empty");
        File.WriteAllText(path, "# nobody yet\n");

        Assert.Null(HtpasswdFile.Load(path, NullLogger.Instance).DecoyFor("anyone"));
    }

    [Fact]
    public void AMissingFileIsAnErrorAtLoad() =>
        Assert.Equal($"{_directory}/none: no such file",
            Assert.Throws<HtpasswdException>(() => HtpasswdFile.Load(Path.Combine(_directory, "none"), NullLogger.Instance)).Message);
}
