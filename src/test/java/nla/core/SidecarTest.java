package nla.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarTest {
  static final String AV =
      """
      kind: nla_model
      role: av
      d_model: 3584
      extraction:
        layer_index: 20
        injection_scale: 150.0
      tokens:
        injection_char: "㈎"
        injection_token_id: 149705
        injection_left_neighbor_id: 29
        injection_right_neighbor_id: 522
      prompt_templates:
        av: "Here is the vector:\\n\\n<concept>{injection_char}</concept>\\n\\nPlease {{explain}}."
      """;

  static final String AR =
      """
      kind: nla_model
      d_model: 3584
      extraction:
        layer_index: 20
        injection_scale: null
      ar:
        num_hidden_layers: 20
      tokens:
        critic_suffix_ids: [1318, 29, 366, 1708, 29]
      prompt_templates:
        critic: "Summary of the following text: <text>{explanation}</text> <summary>"
      """;

  static Sidecar parse(String yaml, boolean valueHead) {
    return Sidecar.parse(yaml, Path.of("m/nla_meta.yaml"), valueHead);
  }

  static UserError refused(String yaml, boolean valueHead) {
    return assertThrows(UserError.class, () -> parse(yaml, valueHead));
  }

  @Test
  void avSidecarParsesEveryFieldAndFormatsTheTemplate() {
    Sidecar s = parse(AV, false);
    assertEquals(Sidecar.Role.AV, s.role());
    assertFalse(s.roleInferred());
    assertEquals(3584, s.dModel());
    assertEquals(20, s.layerK());
    assertEquals(150.0, s.injectionNorm());
    assertEquals(Math.sqrt(3584), s.mseNorm(), 1e-12); // absent mse_scale = sqrt_d_model
    assertEquals("㈎", s.injectionChar());
    assertEquals(
        "Here is the vector:\n\n<concept>㈎</concept>\n\nPlease {explain}.", s.injectionContent());
    assertEquals("x ㈎ y", s.customContent("x <INJECT> y"));
    assertThrows(UserError.class, () -> s.customContent("no placeholder"));
  }

  @Test
  void arRoleIsInferredFromTheValueHeadAndOldTemplateKeysWork() {
    Sidecar s = parse(AR, true);
    assertEquals(Sidecar.Role.AR, s.role());
    assertTrue(s.roleInferred());
    assertEquals(
        "Summary of the following text: <text>a {b}</text> <summary>", s.arPrompt("a {b}"));
    assertTrue(parse(AR.replace("ar:\n", "critic:\n"), true).role() == Sidecar.Role.AR);
    // Without a value head and without role, the checkpoint is an AV and needs AV fields.
    assertTrue(refused(AR, false).getMessage().contains("tokens.injection_char"));
    assertTrue(
        parse(AV.replace("  av: ", "  actor: ").replace("role: av\n", ""), false).role()
            == Sidecar.Role.AV);
  }

  @Test
  void scalesAcceptNumbersSqrtDModelAndNull() {
    assertEquals(
        Math.sqrt(3584), parse(AV.replace("150.0", "sqrt_d_model"), false).injectionNorm(), 1e-12);
    assertNull(parse(AV.replace("150.0", "null"), false).injectionNorm());
    assertEquals(80000.0, parse(AV.replace("150.0", "80000"), false).injectionNorm());
    Sidecar explicitNullMse = parse(AR.replace("injection_scale: null", "mse_scale: null"), true);
    assertNull(explicitNullMse.mseNorm());
    assertEquals(
        59.87, parse(AR.replace("injection_scale: null", "mse_scale: 59.87"), true).mseNorm());
    assertTrue(
        refused(AV.replace("150.0", "big"), false)
            .getMessage()
            .contains("extraction.injection_scale"));
    assertTrue(refused(AV.replace("150.0", "-1"), false).getMessage().contains("injection_scale"));
  }

  @Test
  void malformedSidecarsAreRefusedNamingTheField() {
    assertTrue(
        refused(AV.replace("kind: nla_model", "kind: nla_dataset"), false)
            .getMessage()
            .contains("kind"));
    assertTrue(refused(AV.replace("role: av", "role: judge"), false).getMessage().contains("role"));
    assertTrue(refused(AV.replace("d_model: 3584\n", ""), false).getMessage().contains("d_model"));
    assertTrue(
        refused(AV.replace("149705", "\"x\""), false)
            .getMessage()
            .contains("tokens.injection_token_id"));
    assertTrue(
        refused(AV.replace("  injection_left_neighbor_id: 29\n", ""), false)
            .getMessage()
            .contains("tokens.injection_left_neighbor_id"));
    assertTrue(
        refused(AV.replace("{injection_char}", "{char}"), false)
            .getMessage()
            .contains("prompt_templates.av"));
    assertTrue(
        refused(AV.replace("{injection_char}", "{injection_char"), false)
            .getMessage()
            .contains("prompt_templates.av"));
    assertTrue(
        refused(
                AR.replace(
                    "  critic_suffix_ids: [1318, 29, 366, 1708, 29]\n",
                    "  critic_suffix_ids: []\n"),
                true)
            .getMessage()
            .contains("tokens.critic_suffix_ids"));
    assertTrue(
        refused(AR.replace("num_hidden_layers: 20", "num_hidden_layers: 19"), true)
            .getMessage()
            .contains("ar.num_hidden_layers"));
    assertTrue(refused("kind: [", false).getMessage().contains("not valid YAML"));
    assertTrue(refused("- a list", false).getMessage().contains("mapping"));
    UserError e = refused(AV.replace("role: av", "role: judge"), false);
    assertTrue(e.getMessage().startsWith("m/nla_meta.yaml: role: "), e.getMessage());
  }

  @Test
  void theInjectionCharMustEncodeToExactlyTheSidecarId() {
    Sidecar s = parse(AV, false);
    s.checkInjectionEncoding(new int[] {149705});
    assertTrue(
        assertThrows(UserError.class, () -> s.checkInjectionEncoding(new int[] {1, 2}))
            .getMessage()
            .contains("tokens.injection_token_id"));
    assertThrows(UserError.class, () -> s.checkInjectionEncoding(new int[] {149706}));
  }

  @Test
  void canonicalPromptNeedsExactlyOneInjectionTokenWithMatchingNeighbours() {
    Sidecar s = parse(AV, false);
    assertEquals(3, s.canonicalInjectionPosition(new int[] {1, 2, 29, 149705, 522, 9}));
    assertTrue(
        assertThrows(
                UserError.class,
                () -> s.canonicalInjectionPosition(new int[] {29, 149705, 522, 149705, 522}))
            .getMessage()
            .contains("appears 2 times"));
    assertThrows(UserError.class, () -> s.canonicalInjectionPosition(new int[] {1, 29, 522}));
    assertThrows(UserError.class, () -> s.canonicalInjectionPosition(new int[] {149705, 522}));
    assertTrue(
        assertThrows(
                UserError.class, () -> s.canonicalInjectionPosition(new int[] {28, 149705, 522}))
            .getMessage()
            .contains("tokens.injection_left_neighbor_id"));
    assertTrue(
        assertThrows(
                UserError.class, () -> s.canonicalInjectionPosition(new int[] {29, 149705, 521}))
            .getMessage()
            .contains("tokens.injection_right_neighbor_id"));
  }

  @Test
  void aCustomPromptsSiteIsTheOccurrenceWithTheRightNeighbours() {
    Sidecar s = parse(AV, false);
    // A pasted injection char (other neighbours) is ignored; the marked one is used.
    assertEquals(5, s.injectionPosition(new int[] {7, 149705, 8, 0, 29, 149705, 522}, "--prompt"));
    assertThrows(UserError.class, () -> s.injectionPosition(new int[] {7, 149705, 8}, "--prompt"));
  }

  @Test
  void arChecksSuffixHiddenSizeAndLayerCount() {
    Sidecar s = parse(AR, true);
    s.checkArSuffix(new int[] {2, 5, 6, 1318, 29, 366, 1708, 29}, "AR prompt");
    assertTrue(
        assertThrows(
                UserError.class,
                () -> s.checkArSuffix(new int[] {2, 1318, 29, 366, 1708, 30}, "AR prompt"))
            .getMessage()
            .contains("tokens.critic_suffix_ids"));
    assertThrows(UserError.class, () -> s.checkArSuffix(new int[] {29}, "AR prompt"));
    s.checkHiddenSize(3584);
    assertTrue(
        assertThrows(UserError.class, () -> s.checkHiddenSize(3585))
            .getMessage()
            .contains("d_model"));
    s.checkArLayerCount(21);
    assertTrue(
        assertThrows(UserError.class, () -> s.checkArLayerCount(20))
            .getMessage()
            .contains("ar.num_hidden_layers"));
    assertThrows(UserError.class, () -> s.injectionContent()); // an AR has no AV prompt
  }

  @Test
  void loadReadsTheDirectoryAndSaysWhenTheSidecarIsMissing(@TempDir Path dir) throws Exception {
    assertTrue(
        assertThrows(UserError.class, () -> Sidecar.load(dir))
            .getMessage()
            .contains("nla_meta.yaml: missing"));
    Files.writeString(dir.resolve("nla_meta.yaml"), AR);
    Files.write(dir.resolve("value_head.safetensors"), new byte[8]);
    assertEquals(Sidecar.Role.AR, Sidecar.load(dir).role());
  }
}
