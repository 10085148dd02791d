package nla;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The test run checks and never rewrites, and its log holds what a reader needs. Maven's behaviour
 * itself is not under test here, only that the build files ask it for the right things.
 */
class BuildScriptsTest {
  private static String read(String file) throws Exception {
    return Files.readString(Path.of(file));
  }

  @Test
  void theBuildChecksTheFormatAndOnlyTheFormatScriptRewritesSources() throws Exception {
    String pom = read("pom.xml");
    assertFalse(
        Pattern.compile("<goal>\\s*apply\\s*</goal>").matcher(pom).find(),
        "no build phase runs spotless:apply");
    assertTrue(Pattern.compile("<goal>\\s*check\\s*</goal>").matcher(pom).find());
    assertTrue(read("format").contains("spotless:apply"));
    assertTrue(read("README.md").contains("`./format`"), "the README names the format command");
  }

  @Test
  void theTestLogHasNoUnsafeWarningsColourCodesOrPerJarCopyLines() throws Exception {
    String test = read("test");
    assertTrue(test.contains("--sun-misc-unsafe-memory-access=allow"));
    assertTrue(test.contains("-Dstyle.color=never"));
    assertTrue(test.contains("-ntp"), "no download progress");
    assertTrue(test.contains("sed -u 's/\\x1b\\[[0-9;]*m//g'"), "colour resets stripped");
    String pom = read("pom.xml");
    assertTrue(pom.contains("<silent>true</silent>"), "copy-dependencies without a line per jar");
    assertTrue(pom.contains("<redirectTestOutputToFile>true</redirectTestOutputToFile>"));
  }

  /**
   * The launcher drops the JDK's incubator warning from stderr with grep, which buffers whole
   * blocks when stderr is not a terminal: progress in a log then arrived only at exit. Filtered
   * line by line, every line passes as it is written.
   */
  @Test
  void theLaunchersStderrFilterPassesEachLineAsItComes() throws Exception {
    String nla = read("nla");
    assertTrue(
        nla.contains("2> >(grep --line-buffered -v 'WARNING: Using incubator modules' >&2)"));
    assertFalse(nla.contains("(grep -v"), "no block-buffered filter on stderr");
  }

  @Test
  void theScriptsSlowStepsSayWhatTheyDoBeforeTheyStart() throws Exception {
    // The launcher's first build (about a minute) and ./test's package install (minutes).
    assertTrue(
        read("nla").contains("echo \"nla: building (first use or sources changed)...\" >&2"));
    assertTrue(
        read("test")
            .contains(
                "echo \"test: installing Chromium, its chromedriver, fontconfig and a font (Debian"
                    + " packages) for the report and serve page tests...\" >&2"));
  }
}
