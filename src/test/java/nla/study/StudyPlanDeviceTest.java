package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import nla.backend.DeviceSpec;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plan's {@code device:} key: parsed as --device is, checked when the plan loads. */
class StudyPlanDeviceTest {
  @TempDir Path tmp;

  private Path plan(String device) throws Exception {
    Path p = tmp.resolve("plan.yaml");
    Files.writeString(
        p,
        (device == null ? "" : "device: " + device + "\n")
            + "nlas:\n  a: {av: x, ar: y}\nactivations:\n  a: a.npy\nstudies:\n  eval: {nla: a}\n");
    return p;
  }

  @Test
  void aPlanNamesItsDevice() throws Exception {
    assertEquals(DeviceSpec.CPU, StudyPlan.load(plan("cpu")).device());
    assertEquals("cuda:1", StudyPlan.load(plan("\"cuda:1\"")).device().toString());
    assertNull(StudyPlan.load(plan(null)).device());
  }

  @Test
  void anUnknownDeviceIsRefusedWhenThePlanLoads() throws Exception {
    Path p = plan("tpu");
    UserError e = assertThrows(UserError.class, () -> StudyPlan.load(p));
    assertTrue(e.getMessage().startsWith(p + ": device: --device: expected"), e.getMessage());
  }
}
