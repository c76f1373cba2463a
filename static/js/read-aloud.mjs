// "Read aloud": speaks a question and its answers with the browser's own speech synthesis, so
// nothing is sent anywhere. The button stays hidden where the browser cannot speak.
const READ = "Read aloud";
const STOP = "Stop reading";

function words(question) {
  const legend = question.querySelector("legend");
  const parts = legend ? [legend.textContent.trim()] : [];
  for (const node of question.querySelectorAll(".govuk-radios__label, .govuk-radios__divider")) {
    parts.push(node.textContent.trim());
  }
  // A full stop after each part, so the voice pauses between the statement and each answer.
  return parts.filter(Boolean).map((part) => (/[.?!]$/.test(part) ? part : `${part}.`)).join(" ");
}

export function initReadAloud(scope) {
  if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") return;
  for (const button of scope.querySelectorAll(".app-read-aloud[hidden]")) {
    const question = button.closest(".app-question");
    if (!question) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const wasReading = button.textContent === STOP;
      window.speechSynthesis.cancel();
      for (const other of document.querySelectorAll(".app-read-aloud")) other.textContent = READ;
      if (wasReading) return;
      const utterance = new window.SpeechSynthesisUtterance(words(question));
      utterance.lang = document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang;
      utterance.addEventListener("end", () => { button.textContent = READ; });
      utterance.addEventListener("error", () => { button.textContent = READ; });
      button.textContent = STOP;
      window.speechSynthesis.speak(utterance);
    });
  }
}
