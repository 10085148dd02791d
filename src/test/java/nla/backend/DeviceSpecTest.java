package nla.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nla.io.UserError;
import org.junit.jupiter.api.Test;

class DeviceSpecTest {
  @Test
  void parsesEveryForm() {
    assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("auto"));
    assertEquals(DeviceSpec.CPU, DeviceSpec.parse(" CPU "));
    DeviceSpec cuda = DeviceSpec.parse("cuda");
    assertEquals(DeviceSpec.Kind.CUDA, cuda.kind());
    assertArrayEquals(new int[] {0}, cuda.gpus());
    assertArrayEquals(new int[] {3}, DeviceSpec.parse("cuda:3").gpus());
    assertArrayEquals(new int[] {0, 1}, DeviceSpec.parse("cuda:0,1").gpus());
    assertEquals("cuda:0,1", DeviceSpec.parse("cuda:0, 1").toString());
    // One GPU named twice holds two partitions of the model (how placement is tested on one card).
    assertArrayEquals(new int[] {0, 0}, DeviceSpec.parse("cuda:0,0").gpus());
  }

  @Test
  void refusesWhatIsNotADevice() {
    for (String bad :
        new String[] {"", "tpu", "cuda:", "cuda:-1", "cuda:x", "cuda:0,,1", "gpu:0"}) {
      UserError e = assertThrows(UserError.class, () -> DeviceSpec.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("--device: expected auto, cpu, cuda"), e.getMessage());
    }
  }

  @Test
  void theProcessDefaultComesFromNlaDeviceAndABadOneIsOneLine() {
    String before = System.getProperty("nla.device");
    try {
      // The CPU suite runs with nla.device=cpu (pom.xml), so its exact-parity tests mean the same
      // on a machine with a GPU.
      assertEquals(DeviceSpec.CPU, DeviceSpec.processDefault());
      System.setProperty("nla.device", "cuda:2");
      assertEquals("cuda:2", DeviceSpec.processDefault().toString());
      System.setProperty("nla.device", "tpu");
      UserError e = assertThrows(UserError.class, DeviceSpec::processDefault);
      assertTrue(e.getMessage().startsWith("NLA_DEVICE: --device: expected"), e.getMessage());
    } finally {
      if (before == null) System.clearProperty("nla.device");
      else System.setProperty("nla.device", before);
    }
  }

  @Test
  void theCpuNeedsNoProbe() {
    assertEquals("cpu", Backends.describe(DeviceSpec.CPU));
  }
}
